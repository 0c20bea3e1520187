"""Compliance on REAL Spark jobs and the REAL Neo4j: a PII column across three jobs, exactly.

The real-Spark counterpart of ``test_compliance_graph.py`` (whose events are built by hand): here
the lineage comes from the agent attached to the shared Spark session (local[2], Delta), with its
Neo4j sink pointed at the test server. Everything lives under a unique lake directory, job
namespace and tag names, so the tests see nothing else in the shared database.

The pipeline (``customers`` and ``orders`` are Delta tables written before the agent is attached,
as an ingestion outside our lineage would; each job overwrites a Delta table, so each round of the
jobs writes a new version)::

    enrich     customers JOIN orders ON id = customer_id
               -> enriched(order_id, email, email_hash = sha2(email, 256), amount)
    aggregate  enriched GROUP BY email
               -> per_customer(email, email_hash = max(email_hash), total = sum(amount))
    publish    per_customer WHERE email LIKE '%@example.com'
               -> published(contact = email, customer_hash = email_hash, total)

A policy file tags ``customers.email`` as PII (and ``customers.id``, the join key, as a customer
identifier). Expected report for the PII tag:

    customers.email              source    (read by enrich)
    enriched.email               clear     copied
    enriched.email_hash          masked    sha2
    per_customer.email           clear     group key, copied
    per_customer.email_hash      masked    aggregated from the hash
    per_customer.total           indirect  only grouped by email
    published.contact            clear     copied (and filtered on)
    published.customer_hash      masked
    published.total              indirect  only grouped and filtered on email

and nothing else (enriched.order_id and enriched.amount do not carry it: email steers no row of
enrich). The identifier tag, only ever a join key, reaches all ten downstream columns indirectly.

The module fixture runs the jobs twice with an incremental export (``--since last``) after each
round, then one export of the whole window: every format of every export holds the same rows,
every manifest verifies, and the two incremental exports split the activity with no gap and no
duplicate. The CLI exports the same window byte for byte.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.agent import LineageAgent, attach
from spark_lineage.cli import main
from spark_lineage.compliance.export import ExportRequest, ExportResult, ExportScope, run_export
from spark_lineage.compliance.export import tagged_columns as list_tagged_columns
from spark_lineage.compliance.formats import (
    TABULAR_FORMATS,
    Row,
    activity_key,
    activity_keys_from_openlineage,
    canonical,
    read_rows,
)
from spark_lineage.compliance.manifest import load_manifest, verify_manifest
from spark_lineage.compliance.policy import load_policy
from spark_lineage.compliance.propagation import propagate_tags
from spark_lineage.compliance.state import current_ms, iso, read_watermark
from spark_lineage.compliance.tagging import apply_policy
from spark_lineage.job_names import application_label

pytestmark = [pytest.mark.integration, pytest.mark.neo4j]

TABLES = ("tagged_columns", "activity")
EXPORT_FILES = {
    "tagged_columns.csv",
    "tagged_columns.json",
    "tagged_columns.parquet",
    "activity.csv",
    "activity.json",
    "activity.parquet",
    "activity.openlineage.jsonl",
}

#: (dataset, column, carry, depth) of every row reporting the PII tag, in the export's order.
PII_REPORT = [
    ("customers", "email", "source", 0),
    ("enriched", "email", "clear", 1),
    ("enriched", "email_hash", "masked", 1),
    ("per_customer", "email", "clear", 2),
    ("per_customer", "email_hash", "masked", 2),
    ("per_customer", "total", "indirect", 2),
    ("published", "contact", "clear", 3),
    ("published", "customer_hash", "masked", 3),
    ("published", "total", "indirect", 3),
]

#: The three jobs and the Delta table each one writes (the agent names a job after its output).
JOBS = {"enrich": "enriched", "aggregate": "per_customer", "publish": "published"}

#: What each run of a job does with the PII: (access, dataset, column, carry).
PII_ACTIVITY_PER_RUN = {
    "enrich": [
        ("READ", "customers", "email", "source"),
        ("WROTE", "enriched", "email", "clear"),
        ("WROTE", "enriched", "email_hash", "masked"),
    ],
    "aggregate": [
        ("WROTE", "per_customer", "email", "clear"),
        ("WROTE", "per_customer", "email_hash", "masked"),
        ("WROTE", "per_customer", "total", "indirect"),
    ],
    "publish": [
        ("WROTE", "published", "contact", "clear"),
        ("WROTE", "published", "customer_hash", "masked"),
        ("WROTE", "published", "total", "indirect"),
    ],
}
ROWS_PER_ROUND = sum(len(rows) for rows in PII_ACTIVITY_PER_RUN.values())  # 9


@dataclass(frozen=True)
class Lake:
    """The Delta tables under ``root`` and the agent's job namespace; tag names are unique too."""

    root: Path
    namespace: str
    app_name: str
    pii: str
    ident: str

    def path(self, table: str) -> str:
        return f"{self.root}/{table}"

    def dataset(self, table: str) -> str:
        return f"file::{self.path(table)}"

    def column(self, table: str, column: str) -> str:
        return f"{self.dataset(table)}::{column}"

    def job(self, name: str) -> str:
        """The agent's key of job ``name``: ``<application>.<output path in the lake>`` (the lake
        is the agent's ``spark.lineage.lake.root``; see JOBS)."""
        return f"{self.namespace}::{application_label(self.app_name)}.{JOBS[name]}"

    def table_of(self, dataset_key: str) -> str:
        prefix = self.dataset("")
        assert dataset_key.startswith(prefix), dataset_key
        return dataset_key[len(prefix) :]


@dataclass(frozen=True)
class Audit:
    """The lake after two rounds of the jobs, and the exports made along the way.

    ``first`` and ``second`` are incremental exports (``--since last``) into one directory, made
    after round 1 and after round 2; ``full`` covers both rounds ([0, second.until)) elsewhere.
    """

    lake: Lake
    first: ExportResult
    second: ExportResult
    full: ExportResult


def write_sources(spark: Any, lake: Lake) -> None:
    """customers(id, email, country) and orders(order_id, customer_id, amount), as Delta."""
    spark.createDataFrame(
        [
            (1, "ann@example.com", "FR"),
            (2, "bob@example.org", "DE"),
            (3, "cyd@example.com", "FR"),
        ],
        "id int, email string, country string",
    ).coalesce(1).write.format("delta").save(lake.path("customers"))
    spark.createDataFrame(
        [(10, 1, 5.0), (11, 1, 7.5), (12, 2, 3.0), (13, 3, 1.0)],
        "order_id int, customer_id int, amount double",
    ).coalesce(1).write.format("delta").save(lake.path("orders"))


def write_policy(path: Path, lake: Lake, token: str) -> Path:
    """The policy file: customers.email (and phone*, absent here) is PII, customers.id the
    customer identifier."""
    path.write_text(
        f"""name = "policy-{token}"

[[rule]]
name = "customer contact data"
datasets = ["*{lake.root}/customers"]
columns = ["email", "phone*"]
tags = ["{lake.pii}"]

[[rule]]
name = "customer identifier"
datasets = ["*{lake.root}/customers"]
columns = ["id"]
tags = ["{lake.ident}"]
"""
    )
    return path


def run_jobs(spark: Any, lake: Lake) -> None:
    """One round of the three jobs: enrich, aggregate, publish (each a Delta overwrite)."""
    from pyspark.sql import functions as F

    def delta(table: str) -> Any:
        return spark.read.format("delta").load(lake.path(table))

    customers, orders = delta("customers"), delta("orders")
    customers.join(orders, customers.id == orders.customer_id).select(
        orders.order_id,
        customers.email,
        F.sha2(customers.email, 256).alias("email_hash"),
        orders.amount,
    ).write.format("delta").mode("overwrite").save(lake.path("enriched"))

    delta("enriched").groupBy("email").agg(
        F.max("email_hash").alias("email_hash"), F.sum("amount").alias("total")
    ).write.format("delta").mode("overwrite").save(lake.path("per_customer"))

    delta("per_customer").where(F.col("email").like("%@example.com")).select(
        F.col("email").alias("contact"), F.col("email_hash").alias("customer_hash"), "total"
    ).write.format("delta").mode("overwrite").save(lake.path("published"))


def export(
    driver: neo4j.Driver, out: Path, lake: Lake, until: int, since: int | None = None
) -> ExportResult:
    """An export of the PII tag in every format (``since=None`` is ``--since last``)."""
    return run_export(driver, ExportRequest(out, ExportScope((lake.pii,)), until, since))



@pytest.fixture(scope="module")
def audit(
    spark: Any,
    driver: neo4j.Driver,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Audit]:
    """Run the jobs twice under the agent; export incrementally after each round, then in full."""
    token = uuid.uuid4().hex[:10]
    base = tmp_path_factory.mktemp("compliance-spark")
    lake = Lake(
        base / "lake",
        f"compliance-spark-{token}",
        spark.sparkContext.appName,
        f"pii_{token}",
        f"ident_{token}",
    )
    try:
        write_sources(spark, lake)
        agent = attach(
            spark,
            {
                "spark.lineage.namespace": lake.namespace,
                "spark.lineage.sinks": "neo4j",
                "spark.lineage.emit.readOnly": "false",
                "spark.lineage.neo4j.uri": neo4j_uri,
                "spark.lineage.neo4j.user": neo4j_auth[0],
                "spark.lineage.neo4j.password": neo4j_auth[1],
                "spark.lineage.neo4j.spool.dir": str(base / "spool"),
                "spark.lineage.lake.root": str(lake.root),
            },
        )
        assert isinstance(agent, LineageAgent)
        assert agent.config.namespace == lake.namespace, "another agent is attached to the session"
        try:
            run_jobs(spark, lake)
            assert agent.flush(120), "the agent did not deliver round 1 in time"
            policy = load_policy(write_policy(base / "tags.toml", lake, token))
            assert apply_policy(driver, policy).matched == 2  # customers.email, customers.id
            first = export(driver, base / "incremental", lake, current_ms())
            run_jobs(spark, lake)
            assert agent.flush(120), "the agent did not deliver round 2 in time"
        finally:
            agent.close(60)
        second = export(driver, base / "incremental", lake, current_ms())
        full = export(driver, base / "full", lake, second.until_ms, since=0)
        yield Audit(lake, first, second, full)
    finally:
        with driver.session() as session:
            session.run(
                "MATCH (t:Tag) WHERE t.name IN $names DETACH DELETE t",
                names=[lake.pii, lake.ident],
            ).consume()
        delete_scope(driver, lake.dataset(""), f"{lake.namespace}::")


def rows(result: ExportResult, table: str, fmt: str = "json") -> list[Row]:
    return read_rows(table, fmt, result.directory / f"{table}.{fmt}")


def report(lake: Lake, tagged: list[Row]) -> list[tuple[str, str, str, int]]:
    return [(lake.table_of(r["dataset"]), r["column_name"], r["carry"], r["depth"]) for r in tagged]


def run_activity(lake: Lake, activity: list[Row]) -> list[tuple[str, list[tuple[str, ...]]]]:
    """The activity grouped by run, in end-time order: (job, [(access, dataset, column, carry)])."""
    runs: dict[str, tuple[str, list[tuple[str, ...]]]] = {}
    for r in activity:
        job, touched = runs.setdefault(r["run_id"], (r["job"], []))
        assert r["job"] == job
        table = lake.table_of(r["dataset"])
        touched.append(
            (r["access"], table, r["column"][len(lake.dataset(table)) + 2 :], r["carry"])
        )
    return [(job, sorted(touched)) for job, touched in runs.values()]


def expected_runs(lake: Lake, rounds: int) -> list[tuple[str, list[tuple[str, ...]]]]:
    return [
        (lake.job(name), sorted(touched))
        for _ in range(rounds)
        for name, touched in PII_ACTIVITY_PER_RUN.items()
    ]


# --- what the graph reports -----------------------------------------------------------------------


def test_the_agent_records_three_jobs_with_two_runs_each(
    audit: Audit, driver: neo4j.Driver
) -> None:
    lake = audit.lake
    with driver.session() as session:
        runs = [
            (r["job"], r["runs"])
            for r in session.run(
                "MATCH (r:Run) WHERE r.job_key STARTS WITH $prefix "
                "RETURN r.job_key AS job, count(*) AS runs ORDER BY job",
                prefix=f"{lake.namespace}::",
            )
        ]

    assert runs == sorted((lake.job(name), 2) for name in JOBS)


def test_the_pii_is_clear_where_copied_masked_where_hashed_and_indirect_where_only_grouped_on(
    audit: Audit, driver: neo4j.Driver
) -> None:
    lake = audit.lake
    with driver.session() as session:
        tagged = list_tagged_columns(session, ExportScope((lake.pii,)))

    assert report(lake, tagged) == PII_REPORT
    assert {r["origin_column"] for r in tagged} == {lake.column("customers", "email")}
    assert tagged[0]["tag_sources"] == ["policy"]
    assert tagged[0]["jobs"] == [lake.job("enrich")]  # the jobs that read the source


def test_the_hashed_copy_keeps_its_path_through_the_three_jobs(
    audit: Audit, driver: neo4j.Driver
) -> None:
    lake = audit.lake
    with driver.session() as session:
        tagged = list_tagged_columns(session, ExportScope((lake.pii,)))
    (published_hash,) = [r for r in tagged if r["column"].endswith("/published::customer_hash")]

    assert published_hash["path"] == [
        lake.column("customers", "email"),
        lake.column("enriched", "email_hash"),
        lake.column("per_customer", "email_hash"),
        lake.column("published", "customer_hash"),
    ]
    assert published_hash["path_jobs"] == [
        lake.job("enrich"),
        lake.job("aggregate"),
        lake.job("publish"),
    ]
    assert published_hash["path_subtypes"] == ["TRANSFORMATION", "AGGREGATION", "IDENTITY"]
    assert published_hash["jobs"] == [lake.job("publish")]


def test_a_join_key_carries_its_tag_only_indirectly_to_every_downstream_column(
    audit: Audit, driver: neo4j.Driver
) -> None:
    lake = audit.lake
    propagate_tags(driver, tags=[lake.ident])
    with driver.session() as session:
        tagged = list_tagged_columns(session, ExportScope((lake.ident,)))

    assert report(lake, tagged) == [
        ("customers", "id", "source", 0),
        ("enriched", "amount", "indirect", 1),
        ("enriched", "email", "indirect", 1),
        ("enriched", "email_hash", "indirect", 1),
        ("enriched", "order_id", "indirect", 1),
        ("per_customer", "email", "indirect", 2),
        ("per_customer", "email_hash", "indirect", 2),
        ("per_customer", "total", "indirect", 2),
        ("published", "contact", "indirect", 3),
        ("published", "customer_hash", "indirect", 3),
        ("published", "total", "indirect", 3),
    ]
    assert tagged[1]["path_subtypes"] == ["JOIN"]


# --- the exports ----------------------------------------------------------------------------------


def test_every_format_of_every_export_holds_the_same_rows(audit: Audit) -> None:
    for result in (audit.first, audit.second, audit.full):
        for table in TABLES:
            csv_rows, json_rows, parquet_rows = (rows(result, table, f) for f in TABULAR_FORMATS)
            assert csv_rows == json_rows == parquet_rows, (result.directory, table)
        assert sorted(activity_key(r) for r in rows(result, "activity")) == (
            activity_keys_from_openlineage(result.directory / "activity.openlineage.jsonl")
        )


def test_the_export_reports_the_same_tagged_columns_as_the_graph(
    audit: Audit, driver: neo4j.Driver
) -> None:
    lake = audit.lake
    with driver.session() as session:
        listed = list_tagged_columns(session, ExportScope((lake.pii,)))

    for result in (audit.first, audit.second, audit.full):
        assert rows(result, "tagged_columns") == listed
        assert report(lake, rows(result, "tagged_columns", "parquet")) == PII_REPORT


def test_the_full_export_lists_every_run_touching_the_pii_with_the_versions_it_read_or_wrote(
    audit: Audit,
) -> None:
    lake = audit.lake
    activity = rows(audit.full, "activity")

    assert run_activity(lake, activity) == expected_runs(lake, rounds=2)
    assert len(activity) == 2 * ROWS_PER_ROUND and audit.full.runs == 6
    versions = {
        (lake.table_of(r["dataset"]), r["access"], r["version"], r["version_status"])
        for r in activity
    }
    assert versions == {
        ("customers", "READ", 0, "exact"),
        *(
            (t, "WROTE", v, "exact")
            for t in ("enriched", "per_customer", "published")
            for v in (0, 1)
        ),
    }
    written = [r for r in activity if r["access"] == "WROTE"]
    assert {r["version_operation"] for r in written} == {"WRITE"}
    assert all(r["version_timestamp"] for r in written)
    assert {r["run_status"] for r in activity} == {"COMPLETE"}
    assert {r["arrival"] for r in activity} == {"on_time"}


def test_every_manifest_verifies_and_lists_every_file(audit: Audit) -> None:
    for result in (audit.first, audit.second, audit.full):
        outcome = verify_manifest(result.manifest)
        assert outcome.ok, outcome.problems
        manifest = load_manifest(result.manifest)
        assert {f["path"] for f in manifest["files"]} == EXPORT_FILES
        assert manifest["tables"]["activity"]["runs"] == result.runs


def test_two_incremental_exports_in_a_row_have_no_gap_and_no_duplicate(audit: Audit) -> None:
    lake, first, second, full = audit.lake, audit.first, audit.second, audit.full

    def keys(result: ExportResult) -> list[tuple[str, ...]]:
        return [activity_key(r) for r in rows(result, "activity")]

    assert (first.since_ms, second.since_ms, second.until_ms) == (0, first.until_ms, full.until_ms)
    assert run_activity(lake, rows(first, "activity")) == expected_runs(lake, rounds=1)
    assert run_activity(lake, rows(second, "activity")) == expected_runs(lake, rounds=1)
    assert set(keys(first)).isdisjoint(keys(second))
    assert sorted(keys(first) + keys(second)) == sorted(keys(full))
    assert len(keys(full)) == len(set(keys(full))) == 2 * ROWS_PER_ROUND
    assert max(r["run_ended_at"] for r in rows(first, "activity")) < iso(first.until_ms)
    assert min(r["run_ended_at"] for r in rows(second, "activity")) >= iso(first.until_ms)
    assert second.late_runs == 0
    scope = first.directory.parent
    mark = read_watermark(scope)
    assert mark is not None and mark.until_ms == second.until_ms
    manifest = json.loads(second.manifest.read_text())
    assert manifest["incremental"]["since_last"] is True
    assert manifest["incremental"]["previous_manifest"] == f"{first.directory.name}/manifest.json"


# --- the command line -----------------------------------------------------------------------------


def test_the_cli_exports_the_same_window_byte_for_byte_and_it_verifies(
    audit: Audit,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    lake, full = audit.lake, audit.full
    out = tmp_path / "exports"
    window = ["--since", "1970-01-01", "--until", iso(full.until_ms) or ""]

    assert main(["export", "--uri", neo4j_uri, "--out", str(out), "--tag", lake.pii, *window]) == 0
    directory = out / full.directory.parent.name / full.directory.name
    assert main(["export", "verify", str(directory / "manifest.json")]) == 0
    for name in EXPORT_FILES:
        assert (directory / name).read_bytes() == (full.directory / name).read_bytes(), name

    capsys.readouterr()
    assert main(["tags", "list", "--uri", neo4j_uri, "-t", lake.pii, "--format", "json"]) == 0
    listed = canonical("tagged_columns", json.loads(capsys.readouterr().out))
    assert listed == rows(full, "tagged_columns")
