"""Dataset paths and column names with spaces, quotes, backticks, unicode and Cypher
metacharacters: written by real Spark, through the agent into the real Neo4j, stored exactly,
queried back exactly with ``impact``/``upstream`` (functions and CLI), and nothing else in the
graph touched (no injection).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from pyspark.sql import functions as F
from reliability_helpers import cli_env, figure, run_cli, simple_event

from spark_lineage.agent import DisabledAgent, attach, detach
from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.impact import impact, upstream

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

INJECTION = "MATCH (n) DETACH DELETE n"

#: Folder names (Hadoop reads with globbing, so the read side avoids glob characters `{}[]*?`).
SOURCE_DIR = f"src it's \"q\" `bt` $x ünï数据 {INJECTION}"
TARGET_DIR = f"dst }}) ' \" ` $x -- ñ {INJECTION}"
DELTA_DIR = f"delta ')}} // $x 数据 {INJECTION}"

#: Output column -> source column, for the parquet output (any character Spark allows there).
PARQUET_COLUMNS = {
    "it's": "id",
    'say "hi"': "name",
    "back`tick": "id",
    "close }) brace": "name",
    "a//b": "id",
    "$x": "name",
    "line\nbreak": "id",
    INJECTION: "name",
    "ünï 数据 ✓": "id",
    "x.y::z": "name",
}
#: Delta (no column mapping) forbids ` ,;{}()\n\t=` in names: the rest of the zoo.
DELTA_COLUMNS = {
    "it's": "id", 'q"q': "name", "b`t": "id", "$x": "name", "a//b": "id", "ü数据": "id"
}


def _key(path: Path) -> str:
    return f"file::{path}"


def _quoted(name: str) -> str:
    """A column name as a Spark SQL identifier (backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"


JOBS_NAMESPACE = f"hostile-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def scope(neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path) -> Iterator[Path]:
    base = tmp_path / "hostile"
    base.mkdir()
    yield base
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delete_scope(driver, f"file::{base}", f"{JOBS_NAMESPACE}::")


@pytest.fixture
def canary(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """Unrelated lineage already in the graph: it must come out of the test untouched."""
    tag = uuid.uuid4().hex[:8]
    root, jobs_ns = f"/canary-{tag}/", f"canary-{tag}"
    settings = Neo4jSettings(uri=neo4j_uri, user=neo4j_auth[0], password=neo4j_auth[1])
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, None)
        for n in range(3):
            writer.write(simple_event(root, jobs_ns, n))
    yield root, jobs_ns
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delete_scope(driver, f"file::{root}", f"{jobs_ns}::")


def _canary_snapshot(driver: neo4j.Driver, root: str, jobs_ns: str) -> list[Any]:
    records = driver.execute_query(
        "MATCH (n) WHERE n.key STARTS WITH $data OR n.dataset_key STARTS WITH $data "
        "OR n.key STARTS WITH $jobs OR n.job_key STARTS WITH $jobs "
        "OPTIONAL MATCH (n)-[r]->(m) "
        "RETURN n.key AS n, labels(n) AS labels, type(r) AS rel, m.key AS m, "
        "r.runs AS runs ORDER BY n, rel, m",
        data=f"file::{root}",
        jobs=f"{jobs_ns}::",
    ).records
    return [tuple(r.values()) for r in records]


def test_hostile_names_are_stored_and_queried_back_exactly_without_injection(
    spark: Any,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    scope: Path,
    canary: tuple[str, str],
    tmp_path: Path,
) -> None:
    source, target, delta = scope / SOURCE_DIR, scope / TARGET_DIR, scope / DELTA_DIR
    spark.createDataFrame([(1, "ada"), (2, "bob")], ["id", "name"]).write.parquet(str(source))
    driver = neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth)
    total_before = driver.execute_query("MATCH (n) RETURN count(n) AS c").records[0]["c"]
    canary_before = _canary_snapshot(driver, *canary)
    agent = attach(
        spark,
        {
            "spark.lineage.sinks": "neo4j,openlineage",
            "spark.lineage.namespace": JOBS_NAMESPACE,
            "spark.lineage.neo4j.uri": neo4j_uri,
            "spark.lineage.neo4j.user": neo4j_auth[0],
            "spark.lineage.neo4j.password": neo4j_auth[1],
            "spark.lineage.neo4j.spool.dir": str(tmp_path / "spool"),
            "spark.lineage.openlineage.path": str(tmp_path / "events.jsonl"),
        },
    )
    try:
        assert not isinstance(agent, DisabledAgent), agent.reason
        people = spark.read.parquet(str(source))
        people.select(
            *[F.col(src).alias(out) for out, src in PARQUET_COLUMNS.items()]
        ).write.parquet(str(target))
        # Spark SQL expressions with backtick-quoted identifiers (this file's constant names).
        people.select(
            *[F.expr(f"{src} AS {_quoted(out)}") for out, src in DELTA_COLUMNS.items()]
        ).write.format("delta").save(str(delta))
        assert agent.flush(60)
        health = agent.health()
    finally:
        detach(spark, 30)
    assert health.failed == 0 and not any(health.sink_errors.values()), health

    # Stored exactly: the Column nodes of each output carry the names byte for byte.
    for path, columns in ((target, PARQUET_COLUMNS), (delta, DELTA_COLUMNS)):
        stored = driver.execute_query(
            "MATCH (d:Dataset {namespace: 'file', name: $name})-[:HAS_COLUMN]->(c:Column) "
            "RETURN c.name AS name",
            name=str(path),
        ).records
        assert {r["name"] for r in stored} == set(columns), path

    # Queried back exactly, both ways, through the impact functions.
    for out, src in PARQUET_COLUMNS.items():
        report = upstream(driver, f"file:{target}", column=out)
        assert (_key(source), src) in {(row.dataset_key, row.column) for row in report.rows}, out
    downstream = impact(driver, f"file:{source}", column="id")
    reached = {(row.dataset_key, row.column) for row in downstream.rows}
    want = {(_key(target), o) for o, s in PARQUET_COLUMNS.items() if s == "id"}
    want |= {(_key(delta), o) for o, s in DELTA_COLUMNS.items() if s == "id"}
    assert want <= reached

    # ... and through the CLI, the way a user types it.
    env = cli_env(neo4j_uri, neo4j_auth, tmp_path)
    for out in (INJECTION, "line\nbreak", "back`tick", "x.y::z"):
        result = run_cli(
            ["upstream", f"file:{target}", "--column", out, "--format", "json"], env
        )
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)["rows"]
        assert {(r["dataset_key"], r["column"]) for r in rows} >= {
            (_key(source), PARQUET_COLUMNS[out])
        }, result.stdout
    result = run_cli(["impact", f"file:{source}", "--column", "name", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    fed = {r["column"] for r in json.loads(result.stdout)["rows"]}
    assert {INJECTION, 'say "hi"', "close }) brace", "$x", "x.y::z"} <= fed

    # No injection: the unrelated lineage is exactly as it was, nothing was deleted.
    assert _canary_snapshot(driver, *canary) == canary_before
    total_after = driver.execute_query("MATCH (n) RETURN count(n) AS c").records[0]["c"]
    assert total_after > total_before
    driver.close()
    figure("hostile names: columns stored and queried", len(PARQUET_COLUMNS) + len(DELTA_COLUMNS))
