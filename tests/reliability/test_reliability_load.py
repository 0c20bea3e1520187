"""Load: the agent under a tight loop of queries, many concurrent writers, a very wide table and a
very deep plan -- real Spark (the shared session), the real Neo4j.

Issue 11, load part. Each case uses the issue's numbers with the cheapest work that reaches them
(``spark.range`` of one row, two-row tables), so that the module runs in a few minutes on two
shared cores. Every measured figure is printed as a ``[reliability figure] name = value`` line.

Memory figures are the *resident set* of this Python process (``/proc/self/statm``, sampled every
few milliseconds on a background thread): the JVM is a separate process and is not counted. Queue
depth is the agent's own ``AgentHealth.queue_peak`` (measured at every enqueue).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from reliability_helpers import figure

from spark_lineage.agent import DisabledAgent, LineageAgent, attach, detach
from spark_lineage.capture.plan import capture_plan
from spark_lineage.graph.rows import event_rows
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.lineage import extract_lineage
from spark_lineage.model import CapturedPlan, LineageEvent, QueryLineage
from spark_lineage.openlineage_load import parse_lines
from spark_lineage.sinks.neo4j import Neo4jSink

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

QUERIES = 1000
QUEUE_SIZE = 256
SESSIONS = 20
RUNS_PER_SESSION = 10  # each session runs the recorded pipeline this many times
WIDE_COLUMNS = 2000
PLAN_STEPS = 500

_PAGE = os.sysconf("SC_PAGE_SIZE")
#: A key prefix no node has: ``delete_scope`` takes a dataset and a job prefix, we often want one.
NOTHING = "\u0000none"
MB = 1024 * 1024


def _rss() -> int:
    """Resident set size of this process, in bytes (Linux)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


class Sampler:
    """Samples this process's RSS (and the agent's queue depth, when given) every ``interval``
    seconds on a background thread and keeps the maxima."""

    def __init__(self, agent: LineageAgent | None = None, interval: float = 0.005) -> None:
        self._agent = agent
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-sampler", daemon=True)
        self.baseline_rss = 0
        self.peak_rss = 0
        self.max_depth = 0
        self.samples = 0

    def __enter__(self) -> Sampler:
        self.baseline_rss = self.peak_rss = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sample()

    def _sample(self) -> None:
        self.peak_rss = max(self.peak_rss, _rss())
        if self._agent is not None:
            self.max_depth = max(self.max_depth, self._agent.health().queue_depth)
        self.samples += 1

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    @property
    def peak_growth_mb(self) -> float:
        return (self.peak_rss - self.baseline_rss) / MB


class StageTimes:
    """The real plan capture and lineage engine, timed: handed to ``attach`` (its ``capture`` and
    ``extract`` parameters), so that the worker's time splits into capture, lineage and the rest
    (building the event and writing it to Neo4j)."""

    def __init__(self) -> None:
        self.capture_ns: list[int] = []
        self.lineage_ns: list[int] = []
        self.plan_nodes: list[int] = []
        self._mark = (0.0, 0, 0, 0)

    def warm_up(self, spark: Any, agent: LineageAgent) -> None:
        """One tiny query through the whole path first, so that the measured events do not pay
        the new sink's one-off costs (driver connection, schema check, first statements: about
        1.5 s here); the split below then covers only what comes after."""
        first = random.randrange(10**9, 2 * 10**9)  # an input no other test reads
        spark.range(first, first + 1).collect()
        assert agent.flush(60)
        health = agent.health()
        self._mark = (
            health.worker_ms_total, health.processed, len(self.capture_ns), len(self.lineage_ns)
        )

    def capture(self, query_execution: Any, function_name: str, ended_at_ms: int) -> CapturedPlan:
        started = time.perf_counter_ns()
        try:
            plan = capture_plan(query_execution, function_name, ended_at_ms)
        finally:
            self.capture_ns.append(time.perf_counter_ns() - started)
        self.plan_nodes.append(len(plan.nodes))
        return plan

    def extract(self, plan: CapturedPlan) -> QueryLineage:
        started = time.perf_counter_ns()
        try:
            return extract_lineage(plan)
        finally:
            self.lineage_ns.append(time.perf_counter_ns() - started)

    def split(self, agent: LineageAgent) -> str:
        """``capture / lineage / event + Neo4j`` milliseconds per processed query (means, since
        the warm-up if there was one)."""
        health = agent.health()
        worker_ms, processed, captures, lineages = self._mark
        count = max(1, health.processed - processed)
        capture_ms = sum(self.capture_ns[captures:]) / 1e6
        lineage_ms = sum(self.lineage_ns[lineages:]) / 1e6
        rest_ms = health.worker_ms_total - worker_ms - capture_ms - lineage_ms
        return f"{capture_ms / count:.1f} / {lineage_ms / count:.1f} / {rest_ms / count:.1f}"


@dataclass
class Scope:
    """What a test wrote into the shared graph, removed afterwards."""

    driver: neo4j.Driver
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    namespaces: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)

    def namespace(self, purpose: str) -> str:
        ns = f"load-{purpose}-{self.tag}"
        self.namespaces.append(ns)
        return ns

    def root(self, path: Path) -> Path:
        self.roots.append(f"file::{path}")
        return path

    def query(self, text: str, **params: Any) -> list[neo4j.Record]:
        return list(self.driver.execute_query(text, **params).records)

    def clean(self) -> None:
        for ns in self.namespaces:
            # in-memory inputs (spark.range) each test made unique by its own bounds
            for record in self.query(
                "MATCH (r:Run)-[:READ]->(d:Dataset) WHERE r.job_key STARTS WITH $ns "
                "AND d.namespace = 'memory' RETURN DISTINCT d.key AS key",
                ns=f"{ns}::",
            ):
                delete_scope(self.driver, str(record["key"]), f"{ns}::")
            delete_scope(self.driver, NOTHING, f"{ns}::")
        for root in self.roots:
            delete_scope(self.driver, root, NOTHING)


@pytest.fixture
def scope(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[Scope]:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        driver.verify_connectivity()
        made = Scope(driver)
        try:
            yield made
        finally:
            made.clean()


def _agent_conf(
    namespace: str, neo4j_uri: str, auth: tuple[str, str], spool: Path, **extra: str
) -> dict[str, str]:
    return {
        "spark.lineage.sinks": "neo4j",
        "spark.lineage.namespace": namespace,
        "spark.lineage.neo4j.uri": neo4j_uri,
        "spark.lineage.neo4j.user": auth[0],
        "spark.lineage.neo4j.password": auth[1],
        "spark.lineage.neo4j.spool.dir": str(spool),
        "spark.lineage.flush.timeout": "180",
        **{f"spark.lineage.{key.replace('_', '.')}": value for key, value in extra.items()},
    }


def _attach(spark: Any, conf: dict[str, str], stages: StageTimes) -> LineageAgent:
    agent = attach(spark, conf, capture=stages.capture, extract=stages.extract)
    assert not isinstance(agent, DisabledAgent), agent.reason
    return agent


def _neo4j_sink(agent: LineageAgent) -> Neo4jSink:
    (sink,) = [s for s in agent.sinks.sinks if isinstance(s, Neo4jSink)]
    return sink


def _assert_healthy(agent: LineageAgent) -> None:
    health = agent.health()
    assert health.failed == 0 and health.listener_errors == 0, health.log_line()
    assert not any(health.sink_errors.values()), health.log_line()
    sink = _neo4j_sink(agent)
    assert sink.spooled == 0 and sink.rejected == 0, sink.describe()


def _feeds(scope: Scope, target_dataset: str) -> set[tuple[str, str, str, str]]:
    """Every FEEDS edge into a dataset's columns: (source dataset, source, target, subtype)."""
    records = scope.query(
        "MATCH (s:Column)-[f:FEEDS]->(t:Column {dataset_key: $target}) "
        "RETURN s.dataset_key AS ds, s.name AS source, t.name AS target, f.subtype AS subtype",
        target=target_dataset,
    )
    return {(r["ds"], r["source"], r["target"], r["subtype"]) for r in records}


def _columns_of(scope: Scope, dataset_key: str) -> int:
    records = scope.query(
        "MATCH (:Dataset {key: $key})-[:HAS_COLUMN]->(c:Column) RETURN count(c) AS n",
        key=dataset_key,
    )
    return int(records[0]["n"])


# --- 1. a thousand queries in a tight loop -------------------------------------------------------


def test_a_thousand_queries_in_a_tight_loop_stay_bounded_and_arrive_exactly_once(
    spark: Any,
    scope: Scope,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    """1,000 back-to-back queries with the Neo4j sink: the job never waits, the queue never holds
    more than ``spark.lineage.queue.size``, every query is either counted as skipped or written
    to Neo4j as exactly one Run, and this process's memory stays bounded."""
    ns = scope.namespace("loop")
    first = random.randrange(10**9, 2 * 10**9)  # a range of our own: a dataset no one else has
    stages = StageTimes()
    agent = _attach(
        spark,
        _agent_conf(ns, neo4j_uri, neo4j_auth, tmp_path / "spool", queue_size=str(QUEUE_SIZE)),
        stages,
    )
    try:
        with Sampler(agent) as sampler:
            started = time.perf_counter()
            values = [
                spark.range(first, first + 1).selectExpr("id * 2 AS twice").collect()[0].twice
                for _ in range(QUERIES)
            ]
            loop_s = time.perf_counter() - started
            assert agent.flush(180), "the agent did not drain within 180 s"
            drained_s = time.perf_counter() - started - loop_s
        health = agent.health()
        _assert_healthy(agent)
        written = _neo4j_sink(agent).written
        split = stages.split(agent)
    finally:
        detach(spark, 60)

    assert values == [2 * first] * QUERIES  # the job's own results are untouched
    assert health.seen == QUERIES, health.log_line()
    assert health.queued + health.skipped == health.seen
    assert sampler.max_depth <= health.queue_peak <= QUEUE_SIZE
    assert health.processed + health.filtered == health.queued
    assert written == health.processed
    runs = scope.query(
        "MATCH (r:Run) WHERE r.job_key STARTS WITH $ns "
        "OPTIONAL MATCH (r)-[x:READ]->(:Dataset) "
        "WITH r, count(x) AS reads "
        "RETURN count(r) AS runs, count(DISTINCT r.run_id) AS ids, "
        "sum(size(r.applied_events)) AS applied, min(reads) AS min_reads, "
        "max(reads) AS max_reads",
        ns=f"{ns}::",
    )[0]
    assert runs["runs"] == runs["ids"] == health.processed  # each delivered query: one Run
    assert runs["applied"] == health.processed  # ... and each applied once
    assert runs["min_reads"] == runs["max_reads"] == 1
    growth = sampler.peak_growth_mb
    assert growth < 64, f"peak RSS growth {growth:.1f} MB"

    figure("load loop: queries", QUERIES)
    figure("load loop: loop time (s)", f"{loop_s:.1f} ({QUERIES / loop_s:.0f} queries/s)")
    figure("load loop: drain time after the loop (s)", f"{drained_s:.1f}")
    figure(
        "load loop: queue size / peak depth",
        f"{QUEUE_SIZE} / {health.queue_peak}",
    )
    figure(
        "load loop: seen / queued / skipped / processed / filtered",
        f"{health.seen} / {health.queued} / {health.skipped} / {health.processed} / "
        f"{health.filtered}",
    )
    figure("load loop: Runs in Neo4j (each applied once)", runs["runs"])
    figure(
        "load loop: listener thread ms p50 / p95 / max",
        f"{health.listener_ms_p50:.3f} / {health.listener_ms_p95:.3f} / "
        f"{health.listener_ms_max:.1f}",
    )
    figure("load loop: worker ms per query", f"{health.worker_ms_mean:.1f}")
    figure("load loop: ... of which capture / lineage / event + Neo4j write (ms)", split)
    figure(
        "load loop: Python RSS baseline / peak growth (MB)",
        f"{sampler.baseline_rss / MB:.0f} / {growth:.1f}",
    )


# --- 2. twenty concurrent sessions against one Neo4j ----------------------------------------------


def _record_pipeline(spark: Any, base: Path, ns: str, tmp_path: Path) -> list[LineageEvent]:
    """Run a small three-write pipeline (parquet join, Delta aggregate, filtered report) once with
    the agent writing OpenLineage lines, and read the lines back as events."""
    people, depts = base / "people", base / "depts"
    spark.createDataFrame(
        [(1, "ada", 36, 10), (2, "bob", 41, 20), (3, "cy", 29, 10)],
        ["id", "name", "age", "dept_id"],
    ).write.parquet(str(people))
    spark.createDataFrame([(10, "eng"), (20, "ops")], ["dept_id", "dept_name"]).write.parquet(
        str(depts)
    )
    events_file = tmp_path / "recorded.jsonl"
    agent = attach(
        spark,
        {
            "spark.lineage.sinks": "openlineage",
            "spark.lineage.openlineage.path": str(events_file),
            "spark.lineage.namespace": ns,
        },
    )
    assert not isinstance(agent, DisabledAgent), agent.reason
    try:
        joined, summary, report = base / "joined", base / "summary", base / "report"
        spark.read.parquet(str(people)).join(spark.read.parquet(str(depts)), "dept_id").selectExpr(
            "name", "dept_name", "age + 1 AS next_age"
        ).write.parquet(str(joined))
        spark.read.parquet(str(joined)).groupBy("dept_name").agg(
            {"next_age": "avg", "name": "count"}
        ).withColumnRenamed("avg(next_age)", "avg_age").withColumnRenamed(
            "count(name)", "people"
        ).write.format("delta").save(str(summary))
        spark.read.format("delta").load(str(summary)).filter("people > 0").write.parquet(
            str(report)
        )
        assert agent.flush(60)
    finally:
        detach(spark, 60)
    events = [e for _, e in parse_lines(events_file.read_text().splitlines())]
    recorded = [e for e in events if isinstance(e, LineageEvent)]
    assert len(recorded) == len(events)
    assert sum(1 for e in recorded if e.outputs) == 3
    return recorded


def _session_events(recorded: list[LineageEvent], ns: str, session: int) -> list[LineageEvent]:
    """The recorded pipeline as another Spark session would emit it, ``RUNS_PER_SESSION`` times:
    its own application, its own run ids, later event times for later runs."""
    app_run = f"{ns}-session{session:02d}"
    return [
        replace(
            event,
            run_id=f"{app_run}-r{run}-q{index}",
            parent_run_id=app_run,
            app=replace(event.app, app_id=f"local-load-{session:02d}"),
            event_time_ms=event.event_time_ms + run * 1000,
            started_at_ms=event.started_at_ms + run * 1000,
            ended_at_ms=event.ended_at_ms + run * 1000,
        )
        for run in range(RUNS_PER_SESSION)
        for index, event in enumerate(recorded)
    ]


@dataclass
class SessionOutcome:
    written: int = 0
    spooled: int = 0
    rejected: int = 0
    flushed: bool = False
    began: float = 0.0
    ended: float = 0.0
    error: BaseException | None = None


def test_twenty_concurrent_sessions_leave_no_duplicate_and_every_run(
    spark: Any,
    scope: Scope,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    """20 writers at once (one thread each, each with its own Neo4jSink and driver, as 20 Spark
    applications would have), all emitting the same recorded pipeline ten times with their own
    run ids: every run arrives, no Dataset/Column/DatasetVersion/Job key exists twice, and every
    FEEDS edge exists once per (source, target, job, subtype) and counts exactly the 200 runs."""
    ns = scope.namespace("sessions")
    base = scope.root(tmp_path / "pipeline")
    recorded = _record_pipeline(spark, base, ns, tmp_path)
    sessions = [_session_events(recorded, ns, s) for s in range(SESSIONS)]
    settings = Neo4jSettings(uri=neo4j_uri, user=neo4j_auth[0], password=neo4j_auth[1])
    outcomes = [SessionOutcome() for _ in range(SESSIONS)]
    gate = threading.Barrier(SESSIONS)

    def session(index: int) -> None:
        outcome = outcomes[index]
        try:
            sink = Neo4jSink(settings, tmp_path / f"spool-{index:02d}", retry_max_s=1.0)
            try:
                gate.wait(60)
                outcome.began = time.perf_counter()
                for event in sessions[index]:
                    sink.emit(event)
                outcome.flushed = sink.flush(60)
                outcome.ended = time.perf_counter()
                outcome.written, outcome.spooled = sink.written, sink.spooled
                outcome.rejected = sink.rejected
            finally:
                sink.close(30)
        except BaseException as exc:  # reported by the main thread
            outcome.error = exc

    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(t.is_alive() for t in threads), "a session hung"
    for index, outcome in enumerate(outcomes):
        assert outcome.error is None, f"session {index}: {outcome.error!r}"
        assert outcome.flushed and outcome.written == len(sessions[index]), (index, outcome)
        assert outcome.spooled == 0 and outcome.rejected == 0, (index, outcome)
    assert max(o.began for o in outcomes) < min(o.ended for o in outcomes), "not concurrent"

    # every run, once
    runs = scope.query(
        "MATCH (r:Run) WHERE r.job_key STARTS WITH $ns "
        "RETURN count(r) AS runs, count(DISTINCT r.run_id) AS ids",
        ns=f"{ns}::",
    )[0]
    total = sum(len(events) for events in sessions)
    assert runs["runs"] == runs["ids"] == total == SESSIONS * RUNS_PER_SESSION * len(recorded)
    # no key twice, and exactly the nodes one session alone makes
    prefix = f"file::{base}"
    duplicates = scope.query(
        "MATCH (n:Dataset|Column|DatasetVersion) WHERE n.key STARTS WITH $prefix "
        "WITH n.key AS key, count(*) AS copies WHERE copies > 1 RETURN key "
        "UNION MATCH (n:Job) WHERE n.key STARTS WITH $ns "
        "WITH n.key AS key, count(*) AS copies WHERE copies > 1 RETURN key",
        prefix=prefix,
        ns=f"{ns}::",
    )
    assert duplicates == []
    rows = [event_rows(e) for e in recorded]
    want_datasets = {d["key"] for r in rows for d in r.datasets}
    want_columns = {c["key"] for r in rows for d in r.datasets for c in d["columns"]}
    want_jobs = {r.run["job_key"] for r in rows}
    counts = {
        r["label"]: r["n"]
        for r in scope.query(
            "MATCH (n:Dataset|Column|DatasetVersion) WHERE n.key STARTS WITH $prefix "
            "RETURN labels(n)[0] AS label, count(*) AS n "
            "UNION MATCH (n:Job) WHERE n.key STARTS WITH $ns RETURN 'Job' AS label, count(*) AS n",
            prefix=prefix,
            ns=f"{ns}::",
        )
    }
    assert counts["Dataset"] == len(want_datasets)
    assert counts["Column"] == len(want_columns)
    assert counts["Job"] == len(want_jobs)
    assert counts.get("DatasetVersion", 0) >= 1  # the Delta write's version
    # one FEEDS edge per (source, target, job, subtype), counting the 20 runs exactly
    edges = scope.query(
        "MATCH (s:Column)-[f:FEEDS]->(t:Column) WHERE t.key STARTS WITH $prefix "
        "RETURN s.key AS s, t.key AS t, f.job AS job, f.subtype AS subtype, f.runs AS runs",
        prefix=prefix,
    )
    per_edge: dict[tuple[str, str, str, str], list[int]] = {}
    for r in edges:
        per_edge.setdefault((r["s"], r["t"], r["job"], r["subtype"]), []).append(r["runs"])
    want_edges = {(e["source_key"], e["target_key"]) for r in rows for e in r.edges}
    assert {(s, t) for s, t, _, _ in per_edge} == want_edges
    assert all(runs == [SESSIONS * RUNS_PER_SESSION] for runs in per_edge.values()), per_edge
    twice = scope.query(
        "MATCH (r:Run)-[w]->(x) WHERE r.job_key STARTS WITH $ns "
        "WITH r, type(w) AS kind, x, count(*) AS copies WHERE copies > 1 RETURN r.run_id",
        ns=f"{ns}::",
    )
    assert twice == []

    wall = max(o.ended for o in outcomes) - min(o.began for o in outcomes)
    edges_total = SESSIONS * RUNS_PER_SESSION * sum(len(r.edges) for r in rows)
    per_session = [o.ended - o.began for o in outcomes]
    figure(
        "load sessions: concurrent writers / events each (pipeline events x runs)",
        f"{SESSIONS} / {len(sessions[0])} ({len(recorded)} x {RUNS_PER_SESSION})",
    )
    figure("load sessions: wall time (s)", f"{wall:.2f}")
    figure(
        "load sessions: throughput",
        f"{total / wall:.0f} events/s, {edges_total / wall:.0f} column edges/s",
    )
    figure(
        "load sessions: per-session time p50 / max (s)",
        f"{statistics.median(per_session):.2f} / {max(per_session):.2f}",
    )
    figure(
        "load sessions: nodes (Dataset / Column / DatasetVersion / Job), no duplicate",
        f"{counts['Dataset']} / {counts['Column']} / {counts.get('DatasetVersion', 0)} / "
        f"{counts['Job']}",
    )
    figure(
        "load sessions: FEEDS edges, each counting exactly the runs",
        f"{len(per_edge)} x {SESSIONS * RUNS_PER_SESSION}",
    )


# --- 3. a 2,000-column table ---------------------------------------------------------------------


def test_a_two_thousand_column_table_gets_lineage_for_every_column(
    spark: Any,
    scope: Scope,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    """A 2,000-column table written from ``spark.range`` (one SQL statement), then read and
    written again: both events arrive, and each of the 2,000 columns has its own lineage edge.

    Spark's whole-stage code generation is off for these two writes: compiling 2,000 expressions
    takes Spark longer than everything else in the test, and the analyzed plan -- all the agent
    reads -- is the same with or without it.
    """
    ns = scope.namespace("wide")
    base = scope.root(tmp_path / "wide")
    wide, copy = base / "wide", base / "copy"
    first = random.randrange(10**9, 2 * 10**9)
    names = [f"c{i:04d}" for i in range(WIDE_COLUMNS)]
    # one SQL statement: 2,000 ``selectExpr`` strings are parsed one by one, five times slower
    select = ", ".join(f"id + {i} AS {name}" for i, name in enumerate(names))
    stages = StageTimes()
    agent = _attach(spark, _agent_conf(ns, neo4j_uri, neo4j_auth, tmp_path / "spool"), stages)
    codegen = spark.conf.get("spark.sql.codegen.wholeStage")
    spark.conf.set("spark.sql.codegen.wholeStage", "false")
    try:
        stages.warm_up(spark, agent)
        with Sampler() as sampler:
            started = time.perf_counter()
            query = f"SELECT {select} FROM range({first}, {first + 2})"  # noqa: S608 (ours)
            spark.sql(query).write.parquet(str(wide))
            write_s = time.perf_counter() - started
            assert agent.flush(180)
            first_lineage_s = time.perf_counter() - started - write_s
            started = time.perf_counter()
            spark.read.parquet(str(wide)).write.parquet(str(copy))
            copy_s = time.perf_counter() - started
            assert agent.flush(180)
            second_lineage_s = time.perf_counter() - started - copy_s
        health = agent.health()
        _assert_healthy(agent)
        split = stages.split(agent)
    finally:
        spark.conf.set("spark.sql.codegen.wholeStage", codegen)
        detach(spark, 60)

    assert health.processed == 1 + 2  # the warm-up, the two writes
    wide_key, copy_key = f"file::{wide}", f"file::{copy}"
    assert _columns_of(scope, wide_key) == _columns_of(scope, copy_key) == WIDE_COLUMNS
    into_wide = _feeds(scope, wide_key)
    assert {(t, s) for _, s, t, _ in into_wide} == {(n, "id") for n in names}
    assert {sub for _, _, _, sub in into_wide} == {"TRANSFORMATION"}
    assert _feeds(scope, copy_key) == {(wide_key, n, n, "IDENTITY") for n in names}
    growth = sampler.peak_growth_mb
    assert growth < 128, f"peak RSS growth {growth:.1f} MB"

    figure("load wide: columns / captured plan nodes per event", f"{WIDE_COLUMNS} / "
           f"{' + '.join(str(n) for n in stages.plan_nodes[1:])}")
    figure("load wide: write of the table (s) / its lineage in Neo4j after (s)",
           f"{write_s:.1f} / {first_lineage_s:.1f}")
    figure("load wide: read+write copy (s) / its lineage in Neo4j after (s)",
           f"{copy_s:.1f} / {second_lineage_s:.1f}")
    figure("load wide: worker ms per event: capture / lineage / event + Neo4j write", split)
    figure("load wide: column edges in Neo4j", len(into_wide) + WIDE_COLUMNS)
    figure("load wide: Python RSS peak growth (MB)", f"{growth:.1f}")


# --- 4. a 500-node plan --------------------------------------------------------------------------


def test_a_five_hundred_node_plan_gets_correct_lineage_without_recursion_errors(
    spark: Any,
    scope: Scope,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    """A chain of 500 ``select`` steps (500 Project nodes in the analyzed plan): the write
    completes, the agent reports no failure, and the written columns' lineage is exact."""
    ns = scope.namespace("deep")
    base = scope.root(tmp_path / "deep")
    source, target = base / "source", base / "target"
    spark.createDataFrame([(1, "a"), (2, "b")], ["x", "y"]).write.parquet(str(source))
    started = time.perf_counter()
    df = spark.read.parquet(str(source))
    for _ in range(PLAN_STEPS):
        df = df.selectExpr("x + 1 AS x", "y")
    build_s = time.perf_counter() - started
    plan_nodes = len(json.loads(df._jdf.queryExecution().analyzed().toJSON()))
    assert plan_nodes > PLAN_STEPS
    stages = StageTimes()
    agent = _attach(spark, _agent_conf(ns, neo4j_uri, neo4j_auth, tmp_path / "spool"), stages)
    try:
        stages.warm_up(spark, agent)
        with Sampler() as sampler:
            started = time.perf_counter()
            df.write.parquet(str(target))
            write_s = time.perf_counter() - started
            assert agent.flush(180)
            lineage_s = time.perf_counter() - started - write_s
        health = agent.health()
        _assert_healthy(agent)
        split = stages.split(agent)
    finally:
        detach(spark, 60)

    assert sorted(r.x for r in spark.read.parquet(str(target)).collect()) == [
        1 + PLAN_STEPS,
        2 + PLAN_STEPS,
    ]
    source_key = f"file::{source}"
    assert _feeds(scope, f"file::{target}") == {
        (source_key, "x", "x", "TRANSFORMATION"),
        (source_key, "y", "y", "IDENTITY"),
    }
    assert health.processed == 1 + 1  # the warm-up, the write
    assert sampler.peak_growth_mb < 64, f"peak RSS growth {sampler.peak_growth_mb:.1f} MB"
    figure("load deep: select steps / analyzed plan nodes / captured nodes (with the write)",
           f"{PLAN_STEPS} / {plan_nodes} / {stages.plan_nodes[-1]}")
    figure("load deep: building the DataFrame (s)", f"{build_s:.1f}")
    figure("load deep: write (s) / its lineage to Neo4j after (s)",
           f"{write_s:.1f} / {lineage_s:.1f}")
    figure("load deep: worker ms for the event: capture / lineage / event + Neo4j write", split)
    figure("load deep: Python RSS peak growth (MB)", f"{sampler.peak_growth_mb:.1f}")
