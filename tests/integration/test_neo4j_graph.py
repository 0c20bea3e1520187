"""The lineage graph on the real Neo4j: the documented shape, idempotency, queries, retention.

The events are built by hand (the agent's real-Spark end-to-end tests come separately). Each test
writes into its own scope (dataset keys under a unique path, jobs in a unique namespace) and
compares the graph with ``docs/graph.md``'s model through Cypher results.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import (
    Snapshot,
    clear_downstream_columns,
    delete_scope,
    downstream_columns,
    snapshot,
    upstream_columns,
)

from spark_lineage.events import to_openlineage_json
from spark_lineage.graph.prune import prune
from spark_lineage.graph.schema import ensure_schema, schema_state
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

# Hourly runs in January 2001: old enough that `prune` in this module touches no other data.
T1, T2, T3 = 978_307_200_000, 978_310_800_000, 978_314_400_000


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """Two jobs: ingest (raw parquet -> orders Delta, run twice) and report (orders -> report)."""

    root: str
    job_namespace: str
    raw: DatasetRef
    orders: DatasetRef
    report: DatasetRef
    run_ids: tuple[str, str, str]

    @property
    def dataset_prefix(self) -> str:
        return f"file::{self.root}"

    @property
    def job_prefix(self) -> str:
        return f"{self.job_namespace}::"

    def col(self, dataset: DatasetRef, name: str) -> str:
        return ColumnRef(dataset, name).key

    def events(self) -> list[LineageEvent]:
        r1, r2, r3 = self.run_ids
        return [
            self._ingest(r1, T1, 0, EventType.START),
            self._ingest(r1, T1, 0, EventType.COMPLETE),
            self._ingest(r2, T2, 1, EventType.COMPLETE),
            self._report(r3, T3),
        ]

    def _ingest(self, run_id: str, at: int, version: int, kind: EventType) -> LineageEvent:
        raw, orders = self.raw, self.orders
        edges = (
            _edge(raw, "id", orders, "id", "IDENTITY"),
            _edge(raw, "email", orders, "email_hash", "TRANSFORMATION", masking=True),
            _edge(raw, "amount", orders, "amount", "IDENTITY"),
        )
        complete = kind is EventType.COMPLETE
        return LineageEvent(
            run_id=run_id,
            event_type=kind,
            job_namespace=self.job_namespace,
            job_name="ingest",
            event_time_ms=at,
            started_at_ms=at - 60_000,
            ended_at_ms=at if complete else 0,
            app=AppContext("app-ingest", "ingest", user="etl"),
            inputs=(InputDataset(raw, (SchemaField("id", "bigint"), SchemaField("email", "string"),
                                       SchemaField("amount", "double"),
                                       SchemaField("status", "string"))),),
            outputs=(
                OutputDataset(
                    orders,
                    (SchemaField("id", "bigint"), SchemaField("email_hash", "string"),
                     SchemaField("amount", "double")),
                    edges=edges if complete else (),
                    dataset_dependencies=(
                        ((ColumnRef(raw, "status"), Transformation(TransformationSubtype.FILTER)),)
                        if complete else ()
                    ),
                    write_mode="append",
                    version=VersionInfo(version, timestamp_ms=at, operation="WRITE")
                    if complete else None,
                ),
            ),
            function_name="save",
        )

    def _report(self, run_id: str, at: int) -> LineageEvent:
        orders, report = self.orders, self.report
        return LineageEvent(
            run_id=run_id,
            event_type=EventType.COMPLETE,
            job_namespace=self.job_namespace,
            job_name="daily_report",
            event_time_ms=at,
            started_at_ms=at - 30_000,
            ended_at_ms=at,
            app=AppContext("app-report", "report", user="bi"),
            inputs=(InputDataset(orders, version=VersionInfo(1, timestamp_ms=T2,
                                                             operation="WRITE")),),
            outputs=(
                OutputDataset(
                    report,
                    (SchemaField("customer", "string"), SchemaField("total", "double")),
                    edges=(
                        _edge(orders, "email_hash", report, "customer", "IDENTITY"),
                        _edge(orders, "amount", report, "total", "AGGREGATION"),
                        _edge(orders, "email_hash", report, "total", "GROUP_BY"),
                    ),
                    write_mode="overwrite",
                    version=VersionInfo(0, timestamp_ms=at, operation="CREATE TABLE AS SELECT"),
                ),
            ),
            function_name="saveAsTable",
            sql="SELECT email_hash AS customer, sum(amount) AS total FROM orders GROUP BY 1",
        )


def _edge(source: DatasetRef, source_col: str, target: DatasetRef, target_col: str,
          subtype: str, masking: bool = False) -> ColumnEdge:
    return ColumnEdge(ColumnRef(source, source_col), ColumnRef(target, target_col),
                      Transformation(TransformationSubtype(subtype), masking))



@pytest.fixture
def pipeline(driver: neo4j.Driver) -> Iterator[Pipeline]:
    tag = uuid.uuid4().hex[:12]
    root = f"/itest-{tag}/lake/"
    built = Pipeline(
        root=root,
        job_namespace=f"itest-{tag}",
        raw=DatasetRef("file", root + "raw_orders", "parquet"),
        orders=DatasetRef("file", root + "orders", "delta", "shop.orders"),
        report=DatasetRef("file", root + "report", "delta", "bi.report"),
        run_ids=(f"{tag}-r1", f"{tag}-r2", f"{tag}-r3"),
    )
    yield built
    delete_scope(driver, built.dataset_prefix, built.job_prefix)


def _write_all(driver: neo4j.Driver, events: list[LineageEvent], **options: Any) -> None:
    writer = GraphWriter(driver, **options)
    for event in events:
        writer.write(event)


def _short(p: Pipeline, key: str) -> str:
    """Keys relative to the test's scope, so expectations read like the docs."""
    return key.replace(f"file::{p.root}", "").replace(p.job_prefix, "job:").replace(
        p.run_ids[0], "r1").replace(p.run_ids[1], "r2").replace(p.run_ids[2], "r3")


def _relationships(p: Pipeline, snap: Snapshot, rel_type: str,
                   keep: tuple[str, ...] = ()) -> set[tuple[Any, ...]]:
    return {
        (_short(p, start), _short(p, end),
         *(_short(p, v) if isinstance(v, str) else v for v in (props.get(k) for k in keep)))
        for kind, start, end, props in snap.relationships
        if kind == rel_type
    }


def test_the_pipeline_graph_is_exactly_the_documented_model(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    p = pipeline
    _write_all(driver, p.events())
    snap = snapshot(driver, p.dataset_prefix, p.job_prefix)

    labels: dict[str, set[str]] = {}
    for label, node_id, _ in snap.nodes:
        labels.setdefault(label, set()).add(_short(p, node_id))
    assert labels == {
        "Dataset": {"raw_orders", "orders", "report"},
        "Column": {
            "raw_orders::id", "raw_orders::email", "raw_orders::amount", "raw_orders::status",
            "orders::id", "orders::email_hash", "orders::amount",
            "report::customer", "report::total",
        },
        "DatasetVersion": {"orders@v0", "orders@v1", "report@v0"},
        "Job": {"job:ingest", "job:daily_report"},
        "Run": {"r1", "r2", "r3"},
    }

    feeds = ("job", "type", "subtype", "masking", "first_seen", "last_seen", "runs")
    assert _relationships(p, snap, "FEEDS", feeds) == {
        ("raw_orders::id", "orders::id", "job:ingest", "DIRECT", "IDENTITY", False, T1, T2, 2),
        ("raw_orders::email", "orders::email_hash", "job:ingest", "DIRECT", "TRANSFORMATION",
         True, T1, T2, 2),
        ("raw_orders::amount", "orders::amount", "job:ingest", "DIRECT", "IDENTITY", False, T1,
         T2, 2),
        ("orders::email_hash", "report::customer", "job:daily_report", "DIRECT", "IDENTITY",
         False, T3, T3, 1),
        ("orders::amount", "report::total", "job:daily_report", "DIRECT", "AGGREGATION", False,
         T3, T3, 1),
        ("orders::email_hash", "report::total", "job:daily_report", "INDIRECT", "GROUP_BY",
         False, T3, T3, 1),
    }
    assert _relationships(p, snap, "FEEDS_DATASET", feeds) == {
        ("raw_orders::status", "orders", "job:ingest", "INDIRECT", "FILTER", False, T1, T2, 2),
    }
    assert _relationships(p, snap, "HAS_COLUMN") == {
        (dataset, column) for column in labels["Column"] for dataset in [column.split("::")[0]]
    }
    assert _relationships(p, snap, "OF_JOB") == {
        ("r1", "job:ingest"), ("r2", "job:ingest"), ("r3", "job:daily_report"),
    }
    assert _relationships(p, snap, "READ", ("version", "version_status")) == {
        ("r1", "raw_orders", None, None), ("r2", "raw_orders", None, None),
        ("r3", "orders", 1, "exact"),
    }
    assert _relationships(p, snap, "WROTE", ("version", "mode")) == {
        ("r1", "orders", 0, "append"), ("r2", "orders", 1, "append"),
        ("r3", "report", 0, "overwrite"),
    }
    assert _relationships(p, snap, "READ_VERSION") == {("r3", "orders@v1")}
    assert _relationships(p, snap, "WROTE_VERSION") == {
        ("r1", "orders@v0"), ("r2", "orders@v1"), ("r3", "report@v0"),
    }
    assert _relationships(p, snap, "VERSION_OF") == {
        ("orders@v0", "orders"), ("orders@v1", "orders"), ("report@v0", "report"),
    }
    assert _relationships(p, snap, "READS", ("first_seen", "last_seen")) == {
        ("job:ingest", "raw_orders", T1, T2), ("job:daily_report", "orders", T3, T3),
    }
    assert _relationships(p, snap, "WRITES", ("first_seen", "last_seen")) == {
        ("job:ingest", "orders", T1, T2), ("job:daily_report", "report", T3, T3),
    }
    documented = {"FEEDS", "FEEDS_DATASET", "HAS_COLUMN", "OF_JOB", "READ", "WROTE",
                  "READ_VERSION", "WROTE_VERSION", "VERSION_OF", "READS", "WRITES"}
    assert {kind for kind, *_ in snap.relationships} == documented

    nodes = {(label, _short(p, node_id)): props for label, node_id, props in snap.nodes}
    r1 = nodes[("Run", "r1")]
    assert (r1["status"], r1["started_at"], r1["ended_at"], r1["app_id"]) == (
        "COMPLETE", T1 - 60_000, T1, "app-ingest")
    assert nodes[("Run", "r3")]["sql"].startswith("SELECT email_hash")
    assert nodes[("Dataset", "orders")]["table"] == "shop.orders"
    assert nodes[("Column", "orders::email_hash")]["type"] == "string"
    assert nodes[("DatasetVersion", "report@v0")]["operation"] == "CREATE TABLE AS SELECT"


def test_replaying_every_event_changes_nothing(driver: neo4j.Driver, pipeline: Pipeline) -> None:
    events = pipeline.events()
    _write_all(driver, events)
    before = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    _write_all(driver, events)
    _write_all(driver, list(reversed(events)))
    assert snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix) == before


def test_reapplying_every_statement_changes_nothing(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    """Not only the 'already applied' shortcut: the MERGE statements themselves are idempotent."""
    events = pipeline.events()
    _write_all(driver, events)
    before = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    _write_all(driver, events, skip_applied=False)
    assert snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix) == before


def test_events_arriving_out_of_order_give_the_same_graph(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    events = pipeline.events()
    _write_all(driver, list(reversed(events)))
    reversed_snap = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    delete_scope(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    _write_all(driver, events)
    in_order = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    strip = {"recent_runs", "last_run_id", "applied_events"}  # bookkeeping order may differ

    def clean(snap: Snapshot) -> Snapshot:
        return Snapshot(
            [(a, b, {k: v for k, v in c.items() if k not in strip}) for a, b, c in snap.nodes],
            [(a, b, c, {k: v for k, v in d.items() if k not in strip})
             for a, b, c, d in snap.relationships],
        )

    assert clean(reversed_snap) == clean(in_order)


def test_hourly_runs_aggregate_into_one_edge_per_job_and_subtype(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    p = pipeline
    hourly = [p._ingest(f"{p.run_ids[0]}-h{h}", T1 + h * 3_600_000, h, EventType.COMPLETE)
              for h in range(24)]
    _write_all(driver, hourly)
    snap = snapshot(driver, p.dataset_prefix, p.job_prefix)
    feeds = _relationships(p, snap, "FEEDS", ("runs", "first_seen", "last_seen"))
    assert feeds == {
        (source, target, 24, T1, T1 + 23 * 3_600_000)
        for source, target in [("raw_orders::id", "orders::id"),
                               ("raw_orders::email", "orders::email_hash"),
                               ("raw_orders::amount", "orders::amount")]
    }


def test_lineage_queries_follow_feeds_across_jobs_with_a_depth_bound(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    p = pipeline
    _write_all(driver, p.events())
    email = p.col(p.raw, "email")
    assert [(_short(p, c), d) for c, d in downstream_columns(driver, email)] == [
        ("orders::email_hash", 1), ("report::customer", 2), ("report::total", 2),
    ]
    assert [(_short(p, c), d) for c, d in downstream_columns(driver, email, 1)] == [
        ("orders::email_hash", 1),
    ]
    assert clear_downstream_columns(driver, email) == [], "hashed on the first hop"
    amount = p.col(p.raw, "amount")
    assert [(_short(p, c), d) for c, d in clear_downstream_columns(driver, amount)] == [
        ("orders::amount", 1), ("report::total", 2),
    ]
    assert [(_short(p, c), d) for c, d in upstream_columns(driver, p.col(p.report, "total"))] == [
        ("orders::amount", 1), ("orders::email_hash", 1),
        ("raw_orders::amount", 2), ("raw_orders::email", 2),
    ]


def test_prune_removes_old_runs_and_versions_but_keeps_lineage(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    p = pipeline
    prune(driver, T1)  # what other suites wrote before this test's times (1970's timelines)
    _write_all(driver, p.events())
    report = prune(driver, T2 + 1)
    assert (report.runs, report.versions) == (2, 1)
    snap = snapshot(driver, p.dataset_prefix, p.job_prefix)
    remaining = {(label, _short(p, node_id)) for label, node_id, _ in snap.nodes}
    assert ("Run", "r1") not in remaining and ("Run", "r2") not in remaining
    assert ("Run", "r3") in remaining
    assert ("DatasetVersion", "orders@v0") not in remaining, "old, superseded, unreferenced"
    assert ("DatasetVersion", "orders@v1") in remaining, "read by the remaining run r3"
    assert ("DatasetVersion", "report@v0") in remaining, "newest version of report"
    assert ("Job", "job:ingest") in remaining, "its READS/WRITES lineage remains"
    assert len(_relationships(p, snap, "FEEDS")) == 6
    assert _relationships(p, snap, "WRITES") == {("job:ingest", "orders"),
                                                 ("job:daily_report", "report")}
    assert [(_short(p, c), d) for c, d in downstream_columns(driver, p.col(p.raw, "email"))] == [
        ("orders::email_hash", 1), ("report::customer", 2), ("report::total", 2),
    ]


def test_schema_set_up_is_idempotent_and_complete(driver: neo4j.Driver) -> None:
    first = ensure_schema(driver)
    second = ensure_schema(driver)
    assert first.complete and second.complete
    assert schema_state(driver).missing == ()
    assert "run_id" in second.present and "feeds_job" not in second.present


def test_the_retired_feeds_job_index_is_dropped_because_it_makes_edge_merges_scan_the_job(
    driver: neo4j.Driver,
) -> None:
    with driver.session() as session:
        session.run("CREATE INDEX feeds_job IF NOT EXISTS FOR ()-[f:FEEDS]-() ON (f.job)").consume()
    assert schema_state(driver).retired == ("feeds_job",)

    state = ensure_schema(driver)

    assert state.retired == () and state.complete
    assert schema_state(driver).retired == ()


def test_spark_lineage_load_reads_openlineage_lines_and_reports_bad_ones(
    driver: neo4j.Driver, pipeline: Pipeline, neo4j_uri: str, neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    p = pipeline
    tagged = [dataclasses.replace(e, run_id=str(uuid.uuid5(uuid.NAMESPACE_URL, e.run_id)))
              for e in p.events()]
    lines = [to_openlineage_json(e) for e in tagged]
    lines.insert(2, '{"eventType": "COMPLETE", "run": {}')
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    env = _cli_env(neo4j_uri, neo4j_auth, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", "load", str(path)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 1
    assert f"{path}:3: invalid JSON" in result.stderr
    assert "load: 4 event(s) loaded" in result.stdout
    snap = snapshot(driver, p.dataset_prefix, p.job_prefix)
    feeds = _relationships(p, snap, "FEEDS", ("subtype", "runs"))
    assert ("raw_orders::email", "orders::email_hash", "TRANSFORMATION", 2) in feeds
    assert ("orders::email_hash", "report::total", "GROUP_BY", 1) in feeds
    assert len(feeds) == 6
    again = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", "load", str(path)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert "(4 already present" in again.stdout
    assert snapshot(driver, p.dataset_prefix, p.job_prefix) == snap


def _cli_env(uri: str, auth: tuple[str, str], tmp_path: Path) -> dict[str, str]:
    import os

    config = tmp_path / "empty.toml"
    config.write_text("")
    return {
        **os.environ,
        "SPARK_LINEAGE_NEO4J_URI": uri,
        "SPARK_LINEAGE_NEO4J_USER": auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": auth[1],
        "SPARK_LINEAGE_CONFIG": str(config),
        "SPARK_LINEAGE_SPOOL_DIR": str(tmp_path / "spool"),
    }


def test_the_json_payloads_of_versions_are_readable(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    p = pipeline
    event = p._report(p.run_ids[2], T3)
    output = dataclasses.replace(
        event.outputs[0],
        version=VersionInfo(0, T3, "WRITE", {"mode": "Overwrite"}, {"numOutputRows": "3"}),
    )
    _write_all(driver, [dataclasses.replace(event, outputs=(output,))])
    nodes = {(label, _short(p, node_id)): props
             for label, node_id, props in snapshot(driver, p.dataset_prefix, p.job_prefix).nodes}
    version = nodes[("DatasetVersion", "report@v0")]
    assert json.loads(version["operation_parameters"]) == {"mode": "Overwrite"}
    assert json.loads(version["operation_metrics"]) == {"numOutputRows": "3"}


def test_spark_lineage_prune_dry_run_counts_without_deleting(
    driver: neo4j.Driver, pipeline: Pipeline, neo4j_uri: str, neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    _write_all(driver, pipeline.events())
    before = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    result = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", "prune", "--before", "2001-01-01T01:30:00Z",
         "--dry-run"],
        capture_output=True, text=True, env=_cli_env(neo4j_uri, neo4j_auth, tmp_path), timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("prune: would delete 2 run(s)")
    assert snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix) == before


def test_wide_events_cut_into_several_statements_give_the_same_graph(
    driver: neo4j.Driver, pipeline: Pipeline
) -> None:
    events = pipeline.events()
    _write_all(driver, events, chunk_size=2)  # 3 edges per event -> two UNWIND statements
    chunked = snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    delete_scope(driver, pipeline.dataset_prefix, pipeline.job_prefix)
    _write_all(driver, events)
    assert snapshot(driver, pipeline.dataset_prefix, pipeline.job_prefix) == chunked
