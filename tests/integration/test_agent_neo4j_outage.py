"""A Spark job whose Neo4j is down succeeds, and its lineage reaches Neo4j once it is back.

The agent is attached to the real Spark session with the Neo4j sink pointing at a port where no
server listens (Neo4j "down" for the whole job). The job's writes succeed, every event lands in
the durable spool, and ``replay`` against the real test server delivers them: the graph then holds
the job's runs and column lineage exactly, and a second replay delivers nothing.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import neo4j
import pytest

from spark_lineage import attach
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.sinks.replay import replay_spool

pytestmark = [pytest.mark.integration, pytest.mark.neo4j]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_job_succeeds_while_neo4j_is_down_and_replay_delivers_every_event(
    spark: Any, tmp_path: Path, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> None:
    spool = tmp_path / "spool"
    agent = attach(
        spark,
        {
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.neo4j.uri": f"bolt://127.0.0.1:{unused_port()}",
            "spark.lineage.neo4j.spool.dir": str(spool),
            "spark.lineage.neo4j.connection.timeout": "0.5",
        },
    )
    try:
        assert agent.enabled
        source, target = tmp_path / "orders", tmp_path / "totals"
        orders = spark.createDataFrame(
            [(1, "a", 10.0), (2, "b", 5.5)], "id long, who string, amount double"
        )
        orders.write.parquet(str(source))
        totals = spark.read.parquet(str(source)).groupBy("who").sum("amount")
        totals.withColumnRenamed("sum(amount)", "total").write.parquet(str(target))
        # flush says the events did not reach Neo4j: they are in the spool instead
        assert agent.flush(60) is False
    finally:
        agent.close(60)
    assert sorted(row.who for row in spark.read.parquet(str(target)).collect()) == ["a", "b"]

    settings = Neo4jSettings(uri=neo4j_uri, user=neo4j_auth[0], password=neo4j_auth[1])
    first = replay_spool(settings, spool)
    again = replay_spool(settings, spool)

    assert first.delivery.delivered == 2  # the two writes (in-memory reads are not lineage)
    assert again.delivery.delivered == 0
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        records = driver.execute_query(
            "MATCH (s:Column)-[f:FEEDS]->(t:Column {dataset_key: $target}) "
            "RETURN s.dataset_key AS source, s.name AS column, t.name AS target, "
            "f.subtype AS subtype ORDER BY target, column, subtype",
            target=f"file::{target}",
        ).records
    edges = {(r["source"], r["column"], r["target"], r["subtype"]) for r in records}
    assert edges == {
        (f"file::{source}", "who", "who", "IDENTITY"),
        (f"file::{source}", "amount", "total", "AGGREGATION"),
    }
