"""Compliance on the real Neo4j: tags, propagation and exports over a three-job PII pipeline.

The events are built by hand and written with the real GraphWriter (the lead adds the real-Spark
version once the agent lands). Each test writes its own scope (a unique root path, job namespace
and tag names), so it sees nothing else in the shared test database.

The pipeline (customers.email is the PII column; ``#`` = masking):

    enrich    customers JOIN orders            -> enriched(order_id, email, email_hash#, amount)
    aggregate enriched GROUP BY email          -> per_customer(email, email_hash, total)
    publish   per_customer WHERE email LIKE .. -> published(contact, customer_hash, total)

Expected for customers.email: enriched.email, per_customer.email and published.contact carry it
in clear (read, joined, aggregated by, copied); every *_hash column carries it masked;
per_customer.total (grouped by email) and published.total (filtered on email) carry it only
indirectly.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
from spark_lineage.compliance.export import ExportRequest, ExportScope, run_export
from spark_lineage.compliance.formats import (
    TABULAR_FORMATS,
    activity_key,
    activity_keys_from_openlineage,
    read_rows,
)
from spark_lineage.compliance.manifest import verify_manifest
from spark_lineage.compliance.policy import parse_policy
from spark_lineage.compliance.propagation import propagate_tags
from spark_lineage.compliance.state import (
    EXIT_LOCKED,
    current_ms,
    export_lock,
    read_watermark,
)
from spark_lineage.compliance.tagging import apply_policy, tag_columns
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    SchemaField,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)

pytestmark = pytest.mark.neo4j

# Two rounds of the three jobs, an hour apart, in March 2002 (no other test uses these times).
T0 = 1_014_940_800_000  # 2002-03-01T00:00Z
HOUR = 3_600_000
ROUND_1 = (T0 + 1 * HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR)
ROUND_2 = (T0 + 4 * HOUR, T0 + 5 * HOUR, T0 + 6 * HOUR)
END = T0 + 7 * HOUR


def _edge(source: ColumnRef, target: ColumnRef, subtype: str, masking: bool = False) -> ColumnEdge:
    return ColumnEdge(source, target, Transformation(TransformationSubtype(subtype), masking))


def _schema(*names: str) -> tuple[SchemaField, ...]:
    return tuple(SchemaField(name, "string") for name in names)


@dataclasses.dataclass(frozen=True)
class Pipeline:
    root: str
    namespace: str
    pii: str
    fin: str

    def ds(self, name: str) -> DatasetRef:
        return DatasetRef("file", f"{self.root}/{name}", "delta")

    def col(self, dataset: str, column: str) -> ColumnRef:
        return ColumnRef(self.ds(dataset), column)

    def key(self, dataset: str, column: str) -> str:
        return self.col(dataset, column).key

    def job(self, name: str) -> str:
        return f"{self.namespace}::{name}"

    def events(self, round_times: tuple[int, int, int], version: int) -> list[LineageEvent]:
        enrich_at, aggregate_at, publish_at = round_times
        c = self.col
        filter_ = Transformation(TransformationSubtype.FILTER)
        join = Transformation(TransformationSubtype.JOIN)
        group = Transformation(TransformationSubtype.GROUP_BY)
        enrich = OutputDataset(
            self.ds("enriched"),
            _schema("order_id", "email", "email_hash", "amount"),
            edges=(
                _edge(c("customers", "email"), c("enriched", "email"), "IDENTITY"),
                _edge(
                    c("customers", "email"),
                    c("enriched", "email_hash"),
                    "TRANSFORMATION",
                    masking=True,
                ),
                _edge(c("orders", "order_id"), c("enriched", "order_id"), "IDENTITY"),
                _edge(c("orders", "amount"), c("enriched", "amount"), "IDENTITY"),
            ),
            dataset_dependencies=(
                (c("customers", "id"), join),
                (c("orders", "customer_id"), join),
                (c("customers", "country"), filter_),
            ),
            version=VersionInfo(version, timestamp_ms=enrich_at, operation="WRITE"),
        )
        aggregate = OutputDataset(
            self.ds("per_customer"),
            _schema("email", "email_hash", "total"),
            edges=(
                _edge(c("enriched", "email"), c("per_customer", "email"), "IDENTITY"),
                _edge(c("enriched", "email_hash"), c("per_customer", "email_hash"), "AGGREGATION"),
                _edge(c("enriched", "amount"), c("per_customer", "total"), "AGGREGATION"),
            ),
            dataset_dependencies=((c("enriched", "email"), group),),
            version=VersionInfo(version, timestamp_ms=aggregate_at, operation="WRITE"),
        )
        publish = OutputDataset(
            self.ds("published"),
            _schema("contact", "customer_hash", "total"),
            edges=(
                _edge(c("per_customer", "email"), c("published", "contact"), "IDENTITY"),
                _edge(c("per_customer", "email_hash"), c("published", "customer_hash"), "IDENTITY"),
                _edge(c("per_customer", "total"), c("published", "total"), "IDENTITY"),
            ),
            dataset_dependencies=((c("per_customer", "email"), filter_),),
            version=VersionInfo(version, timestamp_ms=publish_at, operation="MERGE"),
        )
        return [
            self._event(
                "enrich",
                enrich_at,
                (
                    InputDataset(
                        self.ds("customers"),
                        _schema("id", "email", "country"),
                        VersionInfo(5, timestamp_ms=T0),
                    ),
                    InputDataset(
                        self.ds("orders"),
                        _schema("order_id", "customer_id", "amount"),
                        VersionInfo(2, timestamp_ms=T0),
                    ),
                ),
                enrich,
            ),
            self._event(
                "aggregate",
                aggregate_at,
                (
                    InputDataset(
                        self.ds("enriched"), _schema("order_id", "email", "email_hash", "amount")
                    ),
                ),
                aggregate,
            ),
            self._event(
                "publish",
                publish_at,
                (InputDataset(self.ds("per_customer"), _schema("email", "email_hash", "total")),),
                publish,
            ),
        ]

    def _event(
        self, job: str, at: int, inputs: tuple[InputDataset, ...], output: OutputDataset
    ) -> LineageEvent:
        return LineageEvent(
            run_id=str(uuid.uuid4()),
            event_type=EventType.COMPLETE,
            job_namespace=self.namespace,
            job_name=job,
            event_time_ms=at,
            started_at_ms=at - 60_000,
            ended_at_ms=at,
            app=AppContext(f"app-{job}", job),
            inputs=inputs,
            outputs=(output,),
        )



@pytest.fixture()
def pipeline(driver: neo4j.Driver) -> Iterator[Pipeline]:
    token = uuid.uuid4().hex[:10]
    built = Pipeline(f"/compliance-{token}", f"compliance-{token}", f"pii_{token}", f"fin_{token}")
    writer = GraphWriter(driver)
    for event in built.events(ROUND_1, 1) + built.events(ROUND_2, 2):
        writer.write(event)
    policy = parse_policy(
        {
            "name": f"policy-{token}",
            "rule": [
                {
                    "name": "contact data",
                    "datasets": [f"*{built.root}/customers"],
                    "columns": ["email", "phone*"],
                    "tags": [built.pii],
                }
            ],
        }
    )
    apply_policy(driver, policy, prune=False)
    yield built
    with driver.session() as session:
        session.run(
            "MATCH (t:Tag) WHERE t.name IN $names DETACH DELETE t", names=[built.pii, built.fin]
        ).consume()
    delete_scope(driver, f"file::{built.root}", f"{built.namespace}::")


def _carried(driver: neo4j.Driver, p: Pipeline, tag: str) -> dict[str, tuple[str, int]]:
    with driver.session() as session:
        return {
            r["column"]: (r["carry"], r["depth"])
            for r in session.run(
                "MATCH (c:Column)-[r:TAGGED {source: 'propagated'}]->(:Tag {name: $tag}) "
                "RETURN c.key AS column, r.carry AS carry, r.depth AS depth",
                tag=tag,
            )
        }


def _expected_pii(p: Pipeline) -> dict[str, tuple[str, int]]:
    return {
        p.key("enriched", "email"): ("clear", 1),
        p.key("enriched", "email_hash"): ("masked", 1),
        p.key("per_customer", "email"): ("clear", 2),
        p.key("per_customer", "email_hash"): ("masked", 2),
        p.key("per_customer", "total"): ("indirect", 2),
        p.key("published", "contact"): ("clear", 3),
        p.key("published", "customer_hash"): ("masked", 3),
        p.key("published", "total"): ("indirect", 3),
    }


def _export(driver: neo4j.Driver, out: Path, p: Pipeline, until: int, since: int | None = None):
    request = ExportRequest(out, ExportScope((p.pii,)), until, since)
    return run_export(driver, request)


# --- tags and propagation ---------------------------------------------------------------------


def test_the_pii_column_is_reported_clear_masked_and_indirect_exactly(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    report = propagate_tags(driver, tags=[pipeline.pii])

    assert report.origins == 1
    assert _carried(driver, pipeline, pipeline.pii) == _expected_pii(pipeline)


def test_each_propagated_tag_keeps_its_origin_path_and_jobs(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    propagate_tags(driver, tags=[pipeline.pii])
    with driver.session() as session:
        record = session.run(
            "MATCH (:Column {key: $key})-[r:TAGGED {source: 'propagated'}]->(:Tag {name: $tag}) "
            "RETURN r.origin AS origin, r.path AS path, r.path_jobs AS jobs, "
            "r.path_subtypes AS subtypes, r.jobs AS writers",
            key=pipeline.key("published", "customer_hash"),
            tag=pipeline.pii,
        ).single(strict=True)

    assert record["origin"] == pipeline.key("customers", "email")
    assert record["path"] == [
        pipeline.key("customers", "email"),
        pipeline.key("enriched", "email_hash"),
        pipeline.key("per_customer", "email_hash"),
        pipeline.key("published", "customer_hash"),
    ]
    assert record["jobs"] == [
        pipeline.job("enrich"),
        pipeline.job("aggregate"),
        pipeline.job("publish"),
    ]
    assert record["subtypes"] == ["TRANSFORMATION", "AGGREGATION", "IDENTITY"]
    assert record["writers"] == [pipeline.job("publish")]


def test_rerunning_propagation_on_unchanged_lineage_writes_nothing(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    first = propagate_tags(driver, tags=[pipeline.pii])
    second = propagate_tags(driver, tags=[pipeline.pii])

    assert (first.written, first.removed) == (8, 0)
    assert (second.written, second.removed, second.propagated) == (0, 0, 8)


def test_new_lineage_is_propagated_incrementally(driver: neo4j.Driver, pipeline: Pipeline) -> None:
    propagate_tags(driver, tags=[pipeline.pii])
    mailing = pipeline._event(
        "mailing",
        END,
        (InputDataset(pipeline.ds("published"), _schema("contact")),),
        OutputDataset(
            pipeline.ds("mailing"),
            _schema("address"),
            edges=(
                _edge(
                    pipeline.col("published", "contact"),
                    pipeline.col("mailing", "address"),
                    "IDENTITY",
                ),
            ),
        ),
    )
    GraphWriter(driver).write(mailing)

    report = propagate_tags(driver, tags=[pipeline.pii])

    assert (report.written, report.removed) == (1, 0)
    assert _carried(driver, pipeline, pipeline.pii)[pipeline.key("mailing", "address")] == (
        "clear",
        4,
    )


def test_a_masking_edge_becoming_clear_upgrades_the_downstream_carry(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    propagate_tags(driver, tags=[pipeline.pii])
    # A later run of enrich stops hashing: the aggregated edge follows the most recent event.
    later = pipeline.events((END, END + 1, END + 2), 3)[0]
    output = later.outputs[0]
    unmasked = tuple(
        dataclasses.replace(e, transformation=Transformation(e.transformation.subtype, False))
        for e in output.edges
    )
    GraphWriter(driver).write(
        dataclasses.replace(later, outputs=(dataclasses.replace(output, edges=unmasked),))
    )

    propagate_tags(driver, tags=[pipeline.pii])

    carried = _carried(driver, pipeline, pipeline.pii)
    assert carried[pipeline.key("enriched", "email_hash")] == ("clear", 1)
    assert carried[pipeline.key("published", "customer_hash")] == ("clear", 3)


def test_removing_the_source_tag_removes_what_it_propagated(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    tag_columns(driver, pipeline.ds("orders").name, ["amount"], [pipeline.fin])
    propagate_tags(driver, tags=[pipeline.fin])
    assert _carried(driver, pipeline, pipeline.fin) == {
        pipeline.key("enriched", "amount"): ("clear", 1),
        pipeline.key("per_customer", "total"): ("clear", 2),
        pipeline.key("published", "total"): ("clear", 3),
    }

    tag_columns(driver, pipeline.ds("orders").name, ["amount"], [pipeline.fin], remove=True)
    report = propagate_tags(driver, tags=[pipeline.fin])

    assert report.removed == 3
    assert _carried(driver, pipeline, pipeline.fin) == {}


def test_a_policy_rule_removed_from_the_file_removes_its_tags_but_not_cli_tags(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    tag_columns(driver, f"file:{pipeline.root}/customers", ["email"], [pipeline.pii])

    change = apply_policy(driver, parse_policy({"name": f"policy-{pipeline.pii[4:]}", "rule": []}))

    assert change.removed == 1
    with driver.session() as session:
        sources = [
            r["source"]
            for r in session.run(
                "MATCH (:Column {key: $key})-[r:TAGGED]->(:Tag {name: $tag}) RETURN r.source "
                "AS source",
                key=pipeline.key("customers", "email"),
                tag=pipeline.pii,
            )
        ]
    assert sources == ["cli"]


# --- exports --------------------------------------------------------------------------------------


def test_every_format_holds_the_same_exact_report_and_the_manifest_verifies(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    result = _export(driver, tmp_path, pipeline, END, since=T0)

    tables = {
        (table, fmt): read_rows(table, fmt, result.directory / f"{table}.{fmt}")
        for table in ("tagged_columns", "activity")
        for fmt in TABULAR_FORMATS
    }
    for table in ("tagged_columns", "activity"):
        assert tables[(table, "csv")] == tables[(table, "json")] == tables[(table, "parquet")]
    columns = tables[("tagged_columns", "json")]
    assert [(r["column"], r["carry"], r["depth"]) for r in columns] == [
        (pipeline.key("customers", "email"), "source", 0),
        *sorted(
            ((k, c, d) for k, (c, d) in _expected_pii(pipeline).items()),
            key=lambda row: (row[2], row[0]),
        ),
    ]
    assert columns[0]["tag_sources"] == ["policy"]
    activity = tables[("activity", "json")]
    # 2 runs of enrich read the source; per round: enrich writes 2 carriers, aggregate 3, publish 3.
    assert len(activity) == 2 + 2 * (2 + 3 + 3) and result.runs == 6
    assert sorted(activity_key(r) for r in activity) == activity_keys_from_openlineage(
        result.directory / "activity.openlineage.jsonl"
    )
    published = [r for r in activity if r["column"] == pipeline.key("published", "customer_hash")]
    assert [(r["carry"], r["version"], r["run_ended_at"]) for r in published] == [
        ("masked", 1, "2002-03-01T03:00:00.000Z"),
        ("masked", 2, "2002-03-01T06:00:00.000Z"),
    ]
    assert published[0]["version_operation"] == "MERGE"
    assert verify_manifest(result.manifest).ok


def test_the_manifest_detects_a_changed_file(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    result = _export(driver, tmp_path, pipeline, END, since=T0)
    csv_file = result.directory / "activity.csv"
    csv_file.write_text(csv_file.read_text().replace("masked", "clear", 1))

    outcome = verify_manifest(result.manifest)

    assert not outcome.ok
    assert any("activity.csv: SHA-256" in problem for problem in outcome.problems)


def test_two_incremental_exports_cover_the_window_with_no_gap_and_no_duplicate(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    full = _export(driver, tmp_path / "full", pipeline, END, since=T0)
    # The boundary is exactly the end time of round 2's first run: it belongs to the second window.
    first = _export(driver, tmp_path / "inc", pipeline, ROUND_2[0], since=T0)
    second = _export(driver, tmp_path / "inc", pipeline, END)  # --since last

    def keys(result) -> list[tuple[str, ...]]:
        return [
            activity_key(r)
            for r in read_rows("activity", "json", result.directory / "activity.json")
        ]

    assert second.since_ms == first.until_ms == ROUND_2[0]
    assert len(keys(first)) == len(keys(second)) == 9
    assert set(keys(first)).isdisjoint(keys(second))
    assert sorted(keys(first) + keys(second)) == sorted(keys(full))
    mark = read_watermark(tmp_path / "inc" / f"tag-{pipeline.pii}")
    assert mark is not None and mark.until_ms == END
    manifest = json.loads(second.manifest.read_text())
    assert manifest["incremental"]["previous_manifest"] == f"{first.directory.name}/manifest.json"


def test_rerunning_the_same_window_rewrites_the_same_files(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    first = _export(driver, tmp_path, pipeline, END, since=T0)
    before = {f.name: f.read_bytes() for f in first.directory.iterdir() if "manifest" not in f.name}
    second = _export(driver, tmp_path, pipeline, END, since=T0)

    assert second.directory == first.directory
    assert {
        f.name: f.read_bytes() for f in second.directory.iterdir() if "manifest" not in f.name
    } == before
    assert sorted(p.name for p in (tmp_path / f"tag-{pipeline.pii}").iterdir()) == [
        first.directory.name,
        "exported_runs.tsv",
        "watermark.json",
    ]


def test_a_dataset_export_keeps_the_flows_touching_that_dataset(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    propagate_tags(driver, tags=[pipeline.pii])
    request = ExportRequest(
        tmp_path, ExportScope((pipeline.pii,), pipeline.ds("published").key), END, T0
    )
    result = run_export(driver, request)

    columns = read_rows("tagged_columns", "json", result.directory / "tagged_columns.json")
    assert [(r["column"], r["carry"]) for r in columns] == [
        (pipeline.key("customers", "email"), "source"),
        (pipeline.key("published", "contact"), "clear"),
        (pipeline.key("published", "customer_hash"), "masked"),
        (pipeline.key("published", "total"), "indirect"),
    ]


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture()
def cli_env(neo4j_uri: str, neo4j_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    return neo4j_uri


def test_cli_export_then_verify_then_a_locked_second_run_exits_75(
    pipeline: Pipeline, cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports"
    base = ["--uri", cli_env, "--out", str(out), "--tag", pipeline.pii]

    assert main(["export", *base, "--since", "2002-03-01", "--until", "2002-03-01T07:00:00Z"]) == 0
    manifest = next(out.glob("*/*/manifest.json"))
    assert main(["export", "verify", str(manifest)]) == 0
    with export_lock(out):
        assert main(["export", *base]) == EXIT_LOCKED
    assert "another export is running" in capsys.readouterr().err


def test_cli_tag_and_list(
    pipeline: Pipeline, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pipeline.ds("orders").name
    assert main(["tag", "--uri", cli_env, table, "-c", "amount", "-t", pipeline.fin]) == 0
    assert main(["tags", "propagate", "--uri", cli_env, "-t", pipeline.fin]) == 0
    capsys.readouterr()
    assert main(["tags", "list", "--uri", cli_env, "-t", pipeline.fin, "--format", "json"]) == 0

    rows = json.loads(capsys.readouterr().out)
    assert [(r["column"], r["carry"], r["tag_sources"]) for r in rows] == [
        (pipeline.key("orders", "amount"), "source", ["cli"]),
        (pipeline.key("enriched", "amount"), "clear", ["cli"]),
        (pipeline.key("per_customer", "total"), "clear", ["cli"]),
        (pipeline.key("published", "total"), "clear", ["cli"]),
    ]


def test_cli_tagging_an_unknown_column_fails_with_a_message(
    pipeline: Pipeline, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pipeline.ds("orders").name
    assert main(["tag", "--uri", cli_env, table, "-c", "nope", "-t", pipeline.fin]) == 1
    assert "has no column 'nope'" in capsys.readouterr().err


def test_the_scheduled_script_runs_twice_in_a_row_without_gap_or_duplicate(
    pipeline: Pipeline, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    repo = Path(__file__).resolve().parents[2]
    policy = tmp_path / "tags.toml"
    policy.write_text(
        f'name = "scheduled-{pipeline.pii}"\n[[rule]]\ndatasets = "*{pipeline.root}/customers"\n'
        f'columns = "email"\ntags = "{pipeline.pii}"\n'
    )
    out = tmp_path / "exports"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
        "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1],
        "SPARK_LINEAGE_EXPORT_DIR": str(out),
        "SPARK_LINEAGE_POLICY": str(policy),
        "SPARK_LINEAGE_EXPORT_LAG": "0",
        "SPARK_LINEAGE_BIN": str(Path(sys.executable).parent / "spark-lineage"),
    }
    script = [str(repo / "jobs" / "compliance" / "compliance-export.sh"), "--tag", pipeline.pii]

    runs = [
        subprocess.run(script, env=env, capture_output=True, text=True, check=False)
        for _ in range(2)
    ]

    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    windows = sorted((out / f"tag-{pipeline.pii}").glob("*--*"))
    assert len(windows) == 2
    (first_since, first_until), (second_since, _) = (w.name.split("--") for w in windows)
    assert first_since == "19700101T000000.000Z" and second_since == first_until
    keys = [
        [activity_key(r) for r in read_rows("activity", "csv", w / "activity.csv")] for w in windows
    ]
    assert len(keys[0]) == 18 and keys[1] == []
    with export_lock(out):
        locked = subprocess.run(script, env=env, capture_output=True, text=True, check=False)
    assert locked.returncode == EXIT_LOCKED


def test_a_window_ending_in_the_future_is_refused_so_the_watermark_cannot_skip_runs(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="in the future"):
        _export(driver, tmp_path, pipeline, current_ms() + HOUR, since=T0)
    assert read_watermark(tmp_path / f"tag-{pipeline.pii}") is None


def test_a_run_arriving_after_its_window_was_exported_comes_once_in_the_next_export(
    driver: neo4j.Driver, pipeline: Pipeline, tmp_path: Path
) -> None:
    first = _export(driver, tmp_path, pipeline, ROUND_2[0], since=T0)
    # A run of enrich that ended inside the first window reaches the graph only now (spool replay).
    late = pipeline.events((T0 + HOUR + 30 * 60_000, END, END), 9)[0]
    GraphWriter(driver).write(late)

    second = _export(driver, tmp_path, pipeline, END)  # --since last
    third = _export(driver, tmp_path, pipeline, END + HOUR)  # --since last, nothing new

    def rows(result) -> list[dict]:
        return read_rows("activity", "json", result.directory / "activity.json")

    late_rows = [r for r in rows(second) if r["arrival"] == "late"]
    assert {r["run_id"] for r in late_rows} == {late.run_id}
    assert len(late_rows) == 3  # read of the source, two carrying columns written
    assert second.late_runs == 1 and len(rows(second)) == 9 + 3
    assert rows(third) == []
    assert late.run_id not in {r["run_id"] for r in rows(first)}
    everything = [activity_key(r) for result in (first, second, third) for r in rows(result)]
    assert len(everything) == len(set(everything)) == 9 + 12
    assert verify_manifest(second.manifest).ok


# --- tag names from the command line cannot escape --out ------------------------------------------


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--since", "2002-03-01", "--until", "2002-03-01T07:00:00Z"],
        ["tags", "list"],
        ["tags", "propagate"],
    ],
)
def test_a_tag_name_that_tag_refuses_is_refused_everywhere_and_writes_nothing(
    command: list[str], cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports" / "a" / "out"
    argv = [*command, "--uri", cli_env, "-t", "x/../../../outside"]
    if command[0] == "export":
        argv += ["--out", str(out)]

    with pytest.raises(SystemExit) as usage:
        main(argv)

    assert usage.value.code == 2
    assert "invalid tag name 'x/../../../outside'" in capsys.readouterr().err
    assert _files_under(tmp_path) == set()


def test_five_long_valid_tags_export_into_out_with_a_short_directory_name(
    pipeline: Pipeline, cli_env: str, tmp_path: Path
) -> None:
    out = tmp_path / "exports" / "out"
    tags = [pipeline.pii] + [f"t{i}-{pipeline.pii}".ljust(61, "x") for i in range(4)]
    tag_flags = [flag for tag in tags for flag in ("-t", tag)]
    window = ["--since", "2002-03-01", "--until", "2002-03-01T07:00:00Z"]

    assert main(["export", "--uri", cli_env, "--out", str(out), *tag_flags, *window]) == 0

    written = _files_under(tmp_path)
    assert written and all(path.is_relative_to(out) for path in written)
    (manifest,) = out.glob("*/*/manifest.json")
    assert verify_manifest(manifest).ok
    assert all(len(part) < 255 for path in written for part in path.parts)
