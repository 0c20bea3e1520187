"""Hive-format writes and reads, end to end on Spark 4.1 with Hive support (Derby metastore).

One ``spark-submit`` application (``tests/jobs/hive_writes.py``, the shared test session has no
Hive support) runs the golden ``hive`` cases marked ``live`` with the agent on by configuration,
writing OpenLineage events to a file. Checked here:

- each case's lineage, captured and extracted inside the job, is exactly the expectation of
  ``tests/fixtures/plans/cases.py`` (as ``test_lineage_live`` does for the other families);
- what the user gets from the agent: a Hive CTAS is one event (its inner ``InsertIntoHiveTable``
  or file-source write folded in), every Hive table is named by its location with its table name
  as a symlink, and a table written with and without Spark's parquet conversion is one dataset,
  in the events and in the real Neo4j graph.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from spark_submit import lineage_env, metastore_conf, spark_submit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "plans"))

from cases import CASES, Case

from spark_lineage.tools.spark_conf import delta_spark_conf

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "hive_writes.py"
LIVE = [c for c in CASES if c.family == "hive" and c.live]


@dataclass(frozen=True)
class HiveRun:
    root: Path
    namespace: str  # the agent's job namespace in the graph
    cases: dict[str, Any]  # title -> what the job extracted
    events: list[dict[str, Any]]  # the agent's OpenLineage events

    def location(self, table: str) -> str:
        return str(self.root / "warehouse" / table)

    def writes_of(self, table: str) -> list[dict[str, Any]]:
        """The output datasets of every event that wrote ``table`` (found by its location)."""
        return [
            output
            for event in self.events
            for output in event["outputs"]
            if output["name"] == self.location(table)
        ]


@pytest.fixture(scope="module")
def hive_run(
    tmp_path_factory: pytest.TempPathFactory, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> HiveRun:
    root = tmp_path_factory.mktemp("hive")
    namespace = f"itest-hive-{uuid.uuid4().hex[:8]}"
    events = root / "events.jsonl"
    conf = {
        **delta_spark_conf(),
        **metastore_conf(root),
        "spark.lineage.enabled": "true",
        "spark.lineage.sinks": "openlineage,neo4j",
        "spark.lineage.openlineage.path": str(events),
        "spark.lineage.neo4j.uri": neo4j_uri,
        "spark.lineage.namespace": namespace,
    }
    env = lineage_env(neo4j_auth, root / "spool")
    spark_submit(JOB, [str(root)], conf, env, timeout=800, done_line=f"DONE {len(LIVE)}")
    return HiveRun(
        root,
        namespace,
        json.loads((root / "cases.json").read_text()),
        [json.loads(line) for line in events.read_text().splitlines()],
    )


@pytest.mark.parametrize("case", LIVE, ids=[c.title for c in LIVE])
def test_live_hive_case(case: Case, hive_run: HiveRun) -> None:
    got = hive_run.cases[case.title]
    assert {tuple(e) for e in got["edges"]} == set(case.edges)
    assert {tuple(d) for d in got["deps"]} == set(case.deps)
    if case.inputs is not None:
        assert set(got["inputs"]) == set(case.inputs)
    assert got["conservative"] == []
    assert got["warnings"] == []


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("h_adults", {"id", "name"}),  # TEXTFILE: an InsertIntoHiveTable inside
        ("h_adults_pq", {"id", "name"}),  # PARQUET, converted: a file-source write inside
        ("h_dept_copy", {"dept_id", "dept_name"}),  # saveAsTable: SaveAsV1TableCommand around
    ],
)
def test_a_hive_ctas_is_one_event_named_by_location_with_its_table_as_symlink(
    table: str, columns: set[str], hive_run: HiveRun
) -> None:
    (written,) = hive_run.writes_of(table)  # every inner step folded into one event
    assert written["namespace"] == "file"
    (symlink,) = written["facets"]["symlinks"]["identifiers"]
    assert symlink["name"] == f"default.{table}"
    assert set(written["facets"]["columnLineage"]["fields"]) == columns


def test_a_table_written_with_and_without_parquet_conversion_is_one_dataset(
    hive_run: HiveRun,
) -> None:
    writes = hive_run.writes_of("h_codes")
    assert len(writes) == 2  # one InsertIntoHiveTable, one InsertIntoHadoopFsRelationCommand
    identities = {
        (w["namespace"], w["name"], w["facets"]["symlinks"]["identifiers"][0]["name"])
        for w in writes
    }
    assert identities == {("file", hive_run.location("h_codes"), "default.h_codes")}
    for written in writes:
        assert set(written["facets"]["columnLineage"]["fields"]) == {"label", "code"}


def test_a_hive_table_read_is_named_by_its_location(hive_run: HiveRun) -> None:
    reads = [
        read
        for event in hive_run.events
        if any(o["name"].endswith("/out/out") for o in event["outputs"])
        for read in event["inputs"]
    ]
    assert reads, "the read case wrote to the out path"
    assert {(r["namespace"], r["name"]) for r in reads} == {("file", hive_run.location("h_people"))}
    assert {r["facets"]["symlinks"]["identifiers"][0]["name"] for r in reads} == {
        "default.h_people"
    }


@pytest.fixture(scope="module")
def driver(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[neo4j.Driver]:
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as opened:
        yield opened


def test_in_the_graph_each_hive_table_is_one_dataset_keyed_by_its_location(
    hive_run: HiveRun, driver: neo4j.Driver
) -> None:
    with driver.session() as session:
        wrote = {
            record["key"]: (record["table"], record["runs"])
            for record in session.run(
                "MATCH (r:Run)-[:OF_JOB]->(j:Job), (r)-[:WROTE]->(d:Dataset) "
                "WHERE j.namespace = $ns AND d.table STARTS WITH 'default.h_' "
                "RETURN d.key AS key, d.table AS table, count(DISTINCT r) AS runs",
                ns=hive_run.namespace,
            )
        }
        twins = session.run(
            "MATCH (j:Job)-[:READS|WRITES]->(d:Dataset) WHERE j.namespace = $ns "
            "AND d.namespace = 'spark_catalog' RETURN count(DISTINCT d) AS n",
            ns=hive_run.namespace,
        ).single()
    assert twins is not None and twins["n"] == 0

    def located(table: str) -> str:
        return f"file::{hive_run.location(table)}"

    assert wrote[located("h_codes")] == ("default.h_codes", 2)  # converted and not: one dataset
    for table in ("h_adults", "h_adults_pq", "h_dept_copy"):
        assert wrote[located(table)] == (f"default.{table}", 1)  # one run per CTAS
