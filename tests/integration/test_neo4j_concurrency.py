"""Two processes writing lineage for the same tables at once leave no duplicate node or edge.

Real concurrency: two separate Python processes (as two Spark applications would be), started
together, each with its own driver, writing events that share datasets, columns and edges, plus
the very same event written by both. Afterwards every key exists once, every
(source, target, job, subtype) has one FEEDS edge, and run counters equal the distinct runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

pytestmark = pytest.mark.neo4j

EVENTS_PER_WRITER = 15
COLUMNS = 25

WRITER = textwrap.dedent(
    """
    import sys, time
    import neo4j
    from spark_lineage.graph.writer import GraphWriter
    from spark_lineage.model import (AppContext, ColumnEdge, ColumnRef, DatasetRef, EventType,
        InputDataset, LineageEvent, OutputDataset, Transformation, TransformationSubtype,
        VersionInfo)

    uri, user, password, root, jobs_ns, writer_id, start_at, count, columns = sys.argv[1:10]
    src = DatasetRef("file", root + "source", "delta")
    dst = DatasetRef("file", root + "target", "delta")

    def event(run_id, at):
        edges = tuple(
            ColumnEdge(ColumnRef(src, f"c{i}"), ColumnRef(dst, f"c{i}"),
                       Transformation(TransformationSubtype.IDENTITY))
            for i in range(int(columns))
        ) + tuple(
            ColumnEdge(ColumnRef(src, "key"), ColumnRef(dst, f"c{i}"),
                       Transformation(TransformationSubtype.JOIN))
            for i in range(int(columns))
        )
        return LineageEvent(
            run_id=run_id, event_type=EventType.COMPLETE, job_namespace=jobs_ns,
            job_name="shared_job", event_time_ms=at, started_at_ms=at - 1000, ended_at_ms=at,
            app=AppContext("app-" + writer_id, "writer"),
            inputs=(InputDataset(src, version=VersionInfo(1)),),
            outputs=(OutputDataset(dst, edges=edges, version=VersionInfo(2)),),
        )

    driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
    writer = GraphWriter(driver)
    writer.ensure_schema()
    events = [event(f"{writer_id}-{i}", 1_700_000_000_000 + i) for i in range(int(count))]
    events.insert(len(events) // 2, event("shared-run", 1_700_000_000_500))
    while time.time() < float(start_at):
        time.sleep(0.005)
    began = time.time()
    for e in events:
        writer.write(e)
    ended = time.time()
    driver.close()
    print(f"done {began} {ended}", flush=True)
    """
)



def test_two_concurrent_writers_leave_no_duplicates(
    driver: neo4j.Driver, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:12]
    root, jobs_ns = f"/itest-{tag}/", f"itest-{tag}"
    start_at = time.time() + 4.0  # both processes import, connect, then start together
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, neo4j_uri, neo4j_auth[0], neo4j_auth[1], root,
             jobs_ns, writer_id, str(start_at), str(EVENTS_PER_WRITER), str(COLUMNS)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        for writer_id in ("a", "b")
    ]
    try:
        outputs = [w.communicate(timeout=300) for w in writers]
        spans = []
        for writer, (out, err) in zip(writers, outputs, strict=True):
            assert writer.returncode == 0, err
            word, began, ended = out.split()
            assert word == "done"
            spans.append((float(began), float(ended)))
        (a_start, a_end), (b_start, b_end) = spans
        assert a_start < b_end and b_start < a_end, "the two writers really ran at the same time"

        prefix = f"file::{root}"
        duplicates = driver.execute_query(
            """
            MATCH (n:Dataset|Column|DatasetVersion) WHERE n.key STARTS WITH $prefix
            WITH n.key AS key, count(*) AS copies WHERE copies > 1 RETURN key
            """,
            prefix=prefix,
        ).records
        assert duplicates == []
        counts = driver.execute_query(
            """
            MATCH (n:Dataset|Column|DatasetVersion) WHERE n.key STARTS WITH $prefix
            RETURN labels(n)[0] AS label, count(*) AS n ORDER BY label
            """,
            prefix=prefix,
        ).records
        assert {r["label"]: r["n"] for r in counts} == {
            "Column": 2 * COLUMNS + 1, "Dataset": 2, "DatasetVersion": 2,
        }
        edges = driver.execute_query(
            """
            MATCH (s:Column)-[f:FEEDS]->(t:Column) WHERE s.key STARTS WITH $prefix
            RETURN s.name AS source, t.name AS target, f.job AS job, f.subtype AS subtype,
                   f.runs AS runs
            """,
            prefix=prefix,
        ).records
        per_edge: dict[tuple[str, str, str, str], list[int]] = {}
        for r in edges:
            per_edge.setdefault((r["source"], r["target"], r["job"], r["subtype"]), []).append(
                r["runs"])
        assert len(per_edge) == 2 * COLUMNS
        distinct_runs = 2 * EVENTS_PER_WRITER + 1  # the shared event counts once
        assert all(runs == [distinct_runs] for runs in per_edge.values()), per_edge
        runs = driver.execute_query(
            "MATCH (r:Run)-[:OF_JOB]->(j:Job {key: $job}) RETURN count(r) AS runs, "
            "count(DISTINCT r.run_id) AS ids",
            job=f"{jobs_ns}::shared_job",
        ).records[0]
        assert (runs["runs"], runs["ids"]) == (distinct_runs, distinct_runs)
        jobs = driver.execute_query(
            "MATCH (j:Job) WHERE j.key STARTS WITH $ns RETURN count(j) AS n", ns=jobs_ns
        ).records[0]["n"]
        assert jobs == 1
        rels = driver.execute_query(
            """
            MATCH (r:Run)-[w]->(x) WHERE r.job_key STARTS WITH $ns
            WITH r, type(w) AS kind, x, count(*) AS copies WHERE copies > 1
            RETURN r.run_id AS run, kind, copies
            """,
            ns=jobs_ns,
        ).records
        assert rels == []
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
        delete_scope(driver, f"file::{root}", f"{jobs_ns}::")
