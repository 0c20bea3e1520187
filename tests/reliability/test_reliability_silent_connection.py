"""A connection to Neo4j that goes silent for good (packets dropped, no reset) costs the worker
the write deadline, not the server's two-minute receive timeout.

The agent (shared Spark session, Neo4j sink) writes through :class:`fault_helpers.FaultyProxy`.
After a first delivered write the proxy holds all traffic, established connection included, as a
firewall that drops packets does. With ``write.timeout`` at 2 s, the next write is given up, its
connection abandoned and its event spooled; the events behind it go straight to the spool
without waiting again. When the path comes back, ``flush`` delivers the spool and the graph holds
every query exactly once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import FaultyProxy, count_graph, count_spool, wait_until
from reliability_helpers import figure

from spark_lineage.agent import LineageAgent, attach, detach

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

WRITE_TIMEOUT_S = 2.0




def test_a_connection_gone_silent_costs_the_write_deadline_and_loses_nothing(
    spark: Any, neo4j_auth: tuple[str, str], tmp_path: Path, proxy: FaultyProxy,
    namespace: str, neo4j_uri: str,
) -> None:
    out, spool = tmp_path / "out", tmp_path / "spool"
    agent = attach(spark, {
        "spark.lineage.sinks": "neo4j",
        "spark.lineage.namespace": namespace,
        "spark.lineage.flush.timeout": "60",
        "spark.lineage.neo4j.uri": proxy.uri,
        "spark.lineage.neo4j.user": neo4j_auth[0],
        "spark.lineage.neo4j.password": neo4j_auth[1],
        "spark.lineage.neo4j.spool.dir": str(spool),
        "spark.lineage.neo4j.connection.timeout": "2",
        "spark.lineage.neo4j.retry.max": "1",
        "spark.lineage.neo4j.write.timeout": str(WRITE_TIMEOUT_S),
    })
    assert isinstance(agent, LineageAgent)
    try:
        spark.range(3).selectExpr("id AS n").write.parquet(str(out / "q0"))
        assert agent.flush(60)  # delivered over an established connection

        proxy.hold()  # silent from now on, the established connection included
        started = time.monotonic()
        for name in ("q1", "q2", "q3"):
            spark.range(3).selectExpr("id AS n").write.parquet(str(out / name))
        # Without the deadline the first write waits for the server's 120 s receive timeout.
        wait_until(lambda: len(count_spool(spool).entries) == 3, 90, "three spooled events")
        spooled_after_s = time.monotonic() - started
        figure("seconds until three events behind a silent connection were spooled",
               round(spooled_after_s, 1))
        assert set(agent.health().sink_errors.values()) == {0}

        proxy.release()
        assert agent.flush(60)
    finally:
        detach(spark, 30)

    graph = count_graph(neo4j_uri, neo4j_auth, namespace)
    assert graph.queries == ["q0", "q1", "q2", "q3"]
    assert graph.applied == [1, 1, 1, 1]
    assert count_spool(spool).entries == []
