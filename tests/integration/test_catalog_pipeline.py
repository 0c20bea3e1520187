"""A user's pipeline, as the user runs it: separate ``spark-submit`` applications over a persistent
Hive metastore (Derby) and path tables, lineage on by configuration only, run twice, into the
real Neo4j. Everything is asserted on what the user sees: the CLI's JSON and the graph's counts.

The pipeline (``tests/jobs/catalog_pipeline.py``)::

    crm-ingest   memory ──> raw/customers (Delta path)      memory ──> raw/events (parquet path)
    crm-refine   raw/customers ──> crm.customers_clean (Delta, saveAsTable overwrite)
                 raw/events ──> crm.event_counts (parquet, saveAsTable overwrite)
                 customers_clean ⋈ event_counts ──> crm.customers_enriched (Delta, CREATE OR
                                                                              REPLACE ... AS SELECT)
    crm-report   crm.customers_enriched ──> gold/by_country (Delta path, overwrite)
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from spark_submit import BIN, lineage_env, metastore_conf, spark_submit

from spark_lineage.tools.spark_conf import delta_spark_conf

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.timeout(1800),  # six spark-submit applications on a busy 2-core machine
]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "catalog_pipeline.py"
STEPS = ("ingest", "refine", "report")
TABLES = ("crm.customers_clean", "crm.event_counts", "crm.customers_enriched")
PATHS = ("raw/customers", "raw/events", "gold/by_country")
JOBS = {
    "crm_ingest.raw/customers",
    "crm_ingest.raw/events",
    "crm_refine.crm.customers_clean",
    "crm_refine.crm.event_counts",
    "crm_refine.crm.customers_enriched",
    "crm_report.gold/by_country",
}


@dataclass(frozen=True)
class Pipeline:
    root: Path
    namespace: str
    uri: str
    env: dict[str, str]

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    def submit(self, step: str) -> None:
        conf = {
            **delta_spark_conf(),
            **metastore_conf(self.root),
            # the one line that turns lineage on, and where it goes
            "spark.lineage.enabled": "true",
            "spark.lineage.neo4j.uri": self.uri,
            "spark.lineage.namespace": self.namespace,
            "spark.lineage.lake.root": str(self.lake),
        }
        spark_submit(
            JOB, [step, str(self.lake)], conf, self.env, master="local[2]", done_line=f"DONE {step}"
        )

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [str(BIN / "spark-lineage"), *args, "--uri", self.uri],
            env=self.env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def table_location(self, table: str) -> str:
        database, name = table.split(".")
        return f"file::{self.root / 'warehouse' / f'{database}.db' / name}"

    def path_key(self, relative: str) -> str:
        return f"file::{self.lake / relative}"


@dataclass(frozen=True)
class GraphCounts:
    jobs: frozenset[str]
    datasets: frozenset[str]
    runs: int
    twins: int
    wrote_versions: dict[str, list[int]]  # dataset key -> versions its runs wrote, in run order


def graph_counts(driver: neo4j.Driver, namespace: str) -> GraphCounts:
    with driver.session() as session:
        jobs = {r["name"] for r in session.run(
            "MATCH (j:Job) WHERE j.namespace = $ns RETURN j.name AS name", ns=namespace)}
        datasets = {r["key"] for r in session.run(
            "MATCH (j:Job)-[:READS|WRITES]->(d:Dataset) WHERE j.namespace = $ns "
            "RETURN DISTINCT d.key AS key", ns=namespace)}
        runs = session.run(
            "MATCH (r:Run)-[:OF_JOB]->(j:Job) WHERE j.namespace = $ns RETURN count(r) AS n",
            ns=namespace).single()["n"]
        twins = session.run(
            "MATCH (j:Job)-[:READS|WRITES]->(d:Dataset) WHERE j.namespace = $ns "
            "AND d.namespace = 'spark_catalog' RETURN count(DISTINCT d) AS n",
            ns=namespace).single()["n"]
        wrote: dict[str, list[int]] = {}
        for record in session.run(
            "MATCH (r:Run)-[:OF_JOB]->(j:Job), (r)-[w:WROTE]->(d:Dataset) WHERE j.namespace = $ns "
            "OPTIONAL MATCH (r)-[:WROTE_VERSION]->(v:DatasetVersion)-[:VERSION_OF]->(d) "
            "RETURN d.key AS key, r.ended_at AS ended, collect(v.version) AS versions "
            "ORDER BY ended", ns=namespace):
            wrote.setdefault(record["key"], []).extend(record["versions"] or [-1])
    return GraphCounts(frozenset(jobs), frozenset(datasets), runs, twins, wrote)


@pytest.fixture(scope="module")
def pipeline(
    tmp_path_factory: pytest.TempPathFactory, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> Iterator[Pipeline]:
    root = tmp_path_factory.mktemp("crm")
    env = lineage_env(neo4j_auth, root / "spool")
    yield Pipeline(root, f"itest-crm-{uuid.uuid4().hex[:8]}", neo4j_uri, env)



@pytest.fixture(scope="module")
def runs(pipeline: Pipeline, driver: neo4j.Driver) -> tuple[GraphCounts, GraphCounts]:
    """The graph after the first and after the second run of the whole pipeline."""
    counted = []
    for _ in range(2):
        for step in STEPS:
            pipeline.submit(step)
        counted.append(graph_counts(driver, pipeline.namespace))
    return counted[0], counted[1]


def test_every_table_is_one_dataset_and_every_step_one_job(
    pipeline: Pipeline, runs: tuple[GraphCounts, GraphCounts]
) -> None:
    first, _ = runs
    located = {pipeline.table_location(t) for t in TABLES} | {pipeline.path_key(p) for p in PATHS}
    assert first.twins == 0
    assert first.jobs == JOBS
    memory = {key for key in first.datasets if key.startswith("memory::")}
    assert first.datasets - memory == located
    assert {key.split("::")[1].split("/")[0] for key in memory} == {"crm_ingest"}
    assert len(memory) == 2  # createDataFrame and range, scoped to the ingest application


def test_running_the_pipeline_again_adds_runs_never_jobs_or_datasets(
    runs: tuple[GraphCounts, GraphCounts],
) -> None:
    first, second = runs
    assert second.jobs == first.jobs
    assert second.datasets == first.datasets
    assert second.runs == 2 * first.runs == 2 * len(JOBS)


def test_each_write_has_one_run_and_each_delta_write_one_new_version(
    pipeline: Pipeline, runs: tuple[GraphCounts, GraphCounts]
) -> None:
    _, second = runs
    assert second.wrote_versions == {
        pipeline.path_key("raw/customers"): [0, 1],
        pipeline.path_key("raw/events"): [-1, -1],  # parquet: no version
        pipeline.table_location("crm.customers_clean"): [0, 1],
        pipeline.table_location("crm.event_counts"): [-1, -1],
        pipeline.table_location("crm.customers_enriched"): [0, 1],
        pipeline.path_key("gold/by_country"): [0, 1],
    }


def test_impact_of_a_raw_column_reaches_the_report_once_per_column(
    pipeline: Pipeline, runs: tuple[GraphCounts, GraphCounts]
) -> None:
    report = pipeline.cli(
        "impact", f"{pipeline.lake}/raw/events.amount", "--direct-only", "--format", "json"
    )
    assert {(r["dataset"], r["column"], r["depth"]) for r in report["rows"]} == {
        ("crm.event_counts", "spent", 1),
        ("crm.customers_enriched", "spent", 2),
        (str(pipeline.lake / "gold/by_country"), "revenue", 3),
    }
    everything = pipeline.cli("impact", "crm.event_counts", "--format", "json")
    keys = [r["column_key"] for r in everything["rows"]]
    assert len(keys) == len(set(keys))  # no column twice, under a twin name or otherwise
    assert not [k for k in keys if k.startswith("spark_catalog::")]


def test_upstream_of_the_report_names_every_source_table_by_its_catalog_name(
    pipeline: Pipeline, runs: tuple[GraphCounts, GraphCounts]
) -> None:
    report = pipeline.cli(
        "upstream", f"{pipeline.lake}/gold/by_country.revenue", "--direct-only",
        "--format", "json",
    )
    rows = {(r["dataset"], r["column"], r["depth"]) for r in report["rows"]}
    generated = {row for row in rows if row[0].startswith("crm_ingest/range/")}
    assert [(column, depth) for _, column, depth in generated] == [("id", 4)]  # spark.range
    assert rows - generated == {
        ("crm.customers_enriched", "spent", 1),
        ("crm.event_counts", "spent", 2),
        (str(pipeline.lake / "raw/events"), "amount", 3),
    }


def test_reproduce_gives_the_exact_versions_that_built_the_report(
    pipeline: Pipeline, runs: tuple[GraphCounts, GraphCounts], driver: neo4j.Driver
) -> None:
    tree = pipeline.cli("reproduce", f"{pipeline.lake}/gold/by_country@1", "--format", "json")
    assert tree["job"] == "crm_report.gold/by_country"
    [enriched] = tree["inputs"]
    assert (enriched["table"], enriched["version"]) == ("crm.customers_enriched", 1)
    raw = {(leaf["dataset"], leaf["version"], leaf["version_status"])
           for leaf in tree["raw_inputs"] if not leaf["dataset"].startswith("memory::")}
    assert raw == {
        (pipeline.path_key("raw/customers"), 1, "exact"),  # the second run's ingest
        (pipeline.path_key("raw/events"), None, "unversioned"),  # parquet, from memory
    }
    # The parquet table is not versioned: followed to the last write before the read, which is
    # the second run's refine, and on to the second run's ingest of raw/events.
    [counts] = [i for i in enriched["produced_by"]["inputs"] if i["table"] == "crm.event_counts"]
    assert counts["produced_by"]["job"] == "crm_refine.crm.event_counts"
    [events] = counts["produced_by"]["inputs"]
    assert events["produced_by"]["job"] == "crm_ingest.raw/events"
    records, _, _ = driver.execute_query(
        "MATCH (r:Run)-[:OF_JOB]->(:Job {namespace: $namespace, name: $job}) "
        "RETURN r.run_id AS run_id ORDER BY r.ended_at",
        namespace=pipeline.namespace, job="crm_ingest.raw/events",
    )
    assert len(records) == 2 and events["produced_by"]["run_id"] == records[-1]["run_id"]
