"""Column-edge write throughput into Neo4j: batched UNWIND/MERGE vs one statement per edge.

Usage (against a running server; settings as for the CLI: SPARK_LINEAGE_NEO4J_URI/USER/PASSWORD,
or flags):

    .venv/bin/python benchmarks/neo4j_write_throughput.py --uri bolt://127.0.0.1:17787 \
        --events 20 --edges 500 --baseline-edges 1000

Both paths write the same shape of lineage (a wide table: each event one run of one job, every
output column fed by one input column, full node/edge MERGE with run bookkeeping for the batched
writer) into their own scope on the same server, which is removed afterwards. Printed: edges,
seconds and column edges per second for each path, and the speed-up.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import neo4j

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.queries import WRITE_ONE_EDGE
from spark_lineage.graph.settings import resolve_settings
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from graph_inspect import delete_scope


def wide_events(root: str, jobs_ns: str, events: int, edges: int) -> list[LineageEvent]:
    """``events`` runs of one job copying an ``edges``-column table (one edge per column)."""
    src = DatasetRef("file", root + "wide_source", "delta")
    dst = DatasetRef("file", root + "wide_target", "delta")
    schema = tuple(SchemaField(f"c{i}", "string") for i in range(edges))
    column_edges = tuple(
        ColumnEdge(ColumnRef(src, f"c{i}"), ColumnRef(dst, f"c{i}"),
                   Transformation(TransformationSubtype.IDENTITY))
        for i in range(edges)
    )
    return [
        LineageEvent(
            run_id=f"{jobs_ns}-run-{n}",
            event_type=EventType.COMPLETE,
            job_namespace=jobs_ns,
            job_name="wide_copy",
            event_time_ms=1_700_000_000_000 + n * 3_600_000,
            started_at_ms=1_700_000_000_000 + n * 3_600_000 - 1000,
            ended_at_ms=1_700_000_000_000 + n * 3_600_000,
            app=AppContext("bench", "bench"),
            inputs=(InputDataset(src, schema, VersionInfo(n)),),
            outputs=(OutputDataset(dst, schema, column_edges, version=VersionInfo(n)),),
        )
        for n in range(events)
    ]


def write_one_by_one(
    driver: neo4j.Driver, database: str | None, root: str, jobs_ns: str, edges: int
) -> int:
    """The baseline: every column edge in its own statement and transaction."""
    (event,) = wide_events(root, jobs_ns, 1, edges)
    with driver.session(database=database) as session:
        for edge in event.edges:
            params = {
                "source_key": edge.source.key, "source_name": edge.source.name,
                "target_key": edge.target.key, "target_name": edge.target.name,
                "job_key": f"{jobs_ns}::wide_copy", "subtype": "IDENTITY",
                "type": "DIRECT", "masking": False, "event_time": event.event_time_ms,
            }
            session.execute_write(_write_edge, params)
    return len(event.edges)


def _write_edge(tx: neo4j.ManagedTransaction, params: dict[str, Any]) -> None:
    tx.run(WRITE_ONE_EDGE.text, params).consume()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri")
    parser.add_argument("--user")
    parser.add_argument("--database")
    parser.add_argument("--events", type=int, default=20, help="events (runs) for batched writes")
    parser.add_argument("--edges", type=int, default=500, help="column edges per event")
    parser.add_argument("--baseline-edges", type=int, default=1000,
                        help="edges written one statement (and transaction) each")
    args = parser.parse_args(argv)
    settings = resolve_settings({"uri": args.uri, "user": args.user, "database": args.database})
    tag = uuid.uuid4().hex[:10]
    root, jobs_ns = f"/bench-{tag}/", f"bench-{tag}"
    events = wide_events(root, jobs_ns, args.events, args.edges)
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, settings.database)
        writer.ensure_schema()
        try:
            # Warm-up (query planning, page cache) for both paths, outside the timings.
            for event in wide_events(root + "warmup/", jobs_ns + "-warmup", 2, args.edges):
                writer.write(event)
            write_one_by_one(driver, settings.database, root + "warmup1/",
                             jobs_ns + "-warmup1", 20)

            started = time.perf_counter()
            for event in events:
                writer.write(event)
            batched_s = time.perf_counter() - started
            batched_edges = args.events * args.edges

            started = time.perf_counter()
            baseline_count = write_one_by_one(driver, settings.database, root + "baseline/",
                                              jobs_ns + "-baseline", args.baseline_edges)
            baseline_s = time.perf_counter() - started
        finally:
            delete_scope(driver, f"file::{root}", jobs_ns)
    batched_rate = batched_edges / batched_s
    baseline_rate = baseline_count / baseline_s
    print(f"server: {settings.display_uri}")
    print(f"{'path':<34}{'edges':>8}{'seconds':>10}{'edges/s':>12}")
    print(f"{'batched UNWIND/MERGE (per event)':<34}{batched_edges:>8}{batched_s:>10.2f}"
          f"{batched_rate:>12.0f}")
    print(f"{'one statement per edge':<34}{baseline_count:>8}{baseline_s:>10.2f}"
          f"{baseline_rate:>12.0f}")
    print(f"speed-up: {batched_rate / baseline_rate:.1f}x")


if __name__ == "__main__":
    main()
