"""A slow or dropping network path between the agent and Neo4j: the job is not slowed, every
event arrives once.

The agent (attached to the shared Spark session, Neo4j sink) writes to the real test Neo4j
*through* :class:`fault_helpers.FaultyProxy` on 127.0.0.1. The same small job (a few writes) runs:

1. straight to Neo4j (the reference),
2. through the proxy with 200 ms of latency on every chunk, both ways,
3. through the proxy while it misbehaves: the answer to a COMMIT is dropped (the transaction is
   committed, the client cannot know it), then a transaction is cut in the middle of its stream
   and new connections are refused for a while, then all traffic is held (a blackhole) for a
   few seconds and released.

The job's own wall time must stay within the agent's flush timeout of the reference (the sink
works on the agent's worker, not on the job's thread); after the path recovers, ``flush``
succeeds within that timeout and the graph holds exactly one applied event per query (retries and
spool redelivery are idempotent), nothing stays in the spool and no sink error is counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import FaultyProxy, count_graph, count_spool, wait_until
from reliability_helpers import figure

from spark_lineage.agent import LineageAgent, attach, detach

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

FLUSH_TIMEOUT_S = 30.0
LATENCY_S = 0.2
QUERIES = 3




@pytest.fixture
def detached(spark: Any) -> Iterator[None]:
    yield
    detach(spark, 30)


def _attach(spark: Any, uri: str, auth: tuple[str, str], spool: Path, namespace: str) -> Any:
    agent = attach(spark, {
        "spark.lineage.sinks": "neo4j",
        "spark.lineage.namespace": namespace,
        "spark.lineage.flush.timeout": str(FLUSH_TIMEOUT_S),
        "spark.lineage.neo4j.uri": uri,
        "spark.lineage.neo4j.user": auth[0],
        "spark.lineage.neo4j.password": auth[1],
        "spark.lineage.neo4j.spool.dir": str(spool),
        "spark.lineage.neo4j.connection.timeout": "2",
        "spark.lineage.neo4j.retry.max": "1",
    })
    assert isinstance(agent, LineageAgent)
    return agent


def _job(spark: Any, out: Path, tag: str, queries: int = QUERIES) -> tuple[float, list[str]]:
    """Run ``queries`` small writes; returns the job's wall time and the query names."""
    names = []
    started = time.monotonic()
    for n in range(queries):
        name = f"{tag}-q{n}"
        spark.range(3).selectExpr("id AS n", f"id * {n + 1} AS v").write.parquet(str(out / name))
        names.append(name)
    return time.monotonic() - started, names


def _timed_flush(agent: Any) -> tuple[bool, float]:
    started = time.monotonic()
    ok = agent.flush(FLUSH_TIMEOUT_S)
    return ok, time.monotonic() - started


def test_a_slow_then_dropping_path_neither_slows_the_job_nor_loses_or_doubles_an_event(
    spark: Any, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path,
    proxy: FaultyProxy, namespace: str, detached: None,
) -> None:
    out, spool = tmp_path / "out", tmp_path / "spool"
    expected: list[str] = []

    # 1. straight to Neo4j: the reference (the first, warm-up query is not timed)
    agent = _attach(spark, neo4j_uri, neo4j_auth, spool, namespace)
    _, names = _job(spark, out, "warmup", queries=1)
    expected += names
    direct_s, names = _job(spark, out, "direct")
    expected += names
    direct_ok, direct_flush_s = _timed_flush(agent)
    assert direct_ok
    detach(spark, 30)

    # 2. 200 ms per chunk, both ways
    agent = _attach(spark, proxy.uri, neo4j_auth, spool, namespace)
    proxy.delay_s = LATENCY_S
    slow_s, names = _job(spark, out, "slow")
    expected += names
    slow_ok, slow_flush_s = _timed_flush(agent)
    proxy.delay_s = 0.0
    assert slow_ok, f"delivery through a slow path did not finish within {FLUSH_TIMEOUT_S}s"
    assert proxy.stats.delayed_chunks > 0

    # 3. a path that drops; the job's query time is summed without the test's own waits
    query_times: list[float] = []

    def query(name: str) -> None:
        started = time.monotonic()
        spark.range(3).selectExpr("id AS n").write.parquet(str(out / name))
        query_times.append(time.monotonic() - started)
        expected.append(name)

    # 3a. the answer to a COMMIT is lost: committed, but the client cannot know (it spools the
    #     event; redelivery finds it applied)
    proxy.drop_after_next_commit()
    query("drop-q0")
    wait_until(lambda: proxy.stats.commits_unanswered == 1, 60, "a COMMIT answer to be dropped")
    assert agent.flush(FLUSH_TIMEOUT_S)
    # 3b. a write stalls in the middle of its stream, is cut, and new connections are refused
    proxy.hold()
    query("drop-q1")
    wait_until(lambda: proxy.stats.held_chunks > 0, 60, "a write to stall mid-stream")
    proxy.refuse = True
    proxy.cut_all()
    proxy.release()
    query("drop-q2")
    query("drop-q3")
    wait_until(lambda: proxy.stats.refused > 0, 60, "the driver to retry against refusals")
    proxy.refuse = False
    assert agent.flush(FLUSH_TIMEOUT_S), "the spooled events were not delivered after 3b"
    # 3c. a blackhole on a healthy connection: a write stalls, nothing moves for 3 s (the fault
    #     itself, not a wait), then everything does -- no error, just a late delivery
    held = proxy.stats.held_chunks
    proxy.hold()
    query("drop-q4")
    wait_until(lambda: proxy.stats.held_chunks > held, 60, "a write to stall in the blackhole")
    query("drop-q5")
    time.sleep(3.0)
    proxy.release()
    drop_s = sum(query_times)
    drop_ok, drop_flush_s = _timed_flush(agent)
    health = agent.health()
    detach(spark, 30)

    graph = count_graph(neo4j_uri, neo4j_auth, namespace)
    left = count_spool(spool)
    assert drop_ok, f"not delivered within {FLUSH_TIMEOUT_S}s after the path recovered: {health}"
    through_proxy = len(expected) - QUERIES - 1  # the proxy agent's events (not the reference's)
    assert health.processed == through_proxy and health.skipped == 0 and health.lost == 0
    assert sum(health.sink_errors.values()) == 0, health.sink_errors
    assert graph.queries == sorted(expected), "an event is missing (or extra) in the graph"
    assert graph.applied == [1] * len(expected), "an event was applied twice"
    assert graph.feeds_runs and set(graph.feeds_runs) == {1}
    assert left.entries == [], left
    assert proxy.stats.commits_unanswered == 1 and proxy.stats.cut >= 1
    assert proxy.stats.refused >= 1, "the refusing phase was not exercised"
    assert proxy.stats.held_chunks >= 2, "the stall and the blackhole were not both exercised"
    # the sink works on the agent's worker: the job is not held up by the path
    assert slow_s < direct_s + FLUSH_TIMEOUT_S
    assert drop_s < 2 * direct_s + FLUSH_TIMEOUT_S  # 6 queries against the reference's 3

    figure("network path: job wall time direct / 200 ms per chunk (3 writes, s)",
           f"{direct_s:.2f} / {slow_s:.2f}")
    figure("network path: flush after the job, direct / 200 ms per chunk (s)",
           f"{direct_flush_s:.2f} / {slow_flush_s:.2f}")
    figure("network path: dropping phase, time in the job's 6 writes / flush after recovery "
           "(s)", f"{drop_s:.2f} / {drop_flush_s:.2f}")
    figure("network path: chunks held by the stall and the blackhole", proxy.stats.held_chunks)
    figure("network path: proxy connections accepted / refused / cut / COMMIT answers dropped",
           f"{proxy.stats.accepted} / {proxy.stats.refused} / {proxy.stats.cut} / "
           f"{proxy.stats.commits_unanswered}")
    figure("network path: events in Neo4j (each applied once) / lost / duplicated",
           f"{graph.runs} of {len(expected)} / 0 / 0")
