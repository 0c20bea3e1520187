"""Every query of docs/cookbook.md, and the impact commands, on a graph built by real Spark jobs.

A module fixture runs a small pipeline on the shared Spark session with the lineage agent
attached and the Neo4j sink pointed at the test server (union of two order files into a Delta
table, a filtered join with customers, an aggregation per country), then adds the hand-written
versioned pipeline of ``test_impact_pipeline`` (the agent does not record Delta versions yet, so
the version recipes read that part). Each cookbook section must have an expectation below: a new
recipe without one fails ``test_every_recipe_has_an_expectation``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from test_impact_pipeline import ImpactPipeline

from spark_lineage.agent import LineageAgent, attach
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.impact import impact, upstream
from spark_lineage.impact.formats import FORMATS, format_report

pytestmark = [pytest.mark.integration, pytest.mark.neo4j, pytest.mark.slow]

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "cookbook.md"
_SECTION = re.compile(r"^### (\d+)\. (.+?)\n(.*?)```cypher\n(.*?)```", re.S | re.M)


@dataclass(frozen=True)
class Recipe:
    number: int
    title: str
    query: str

    @property
    def parameters(self) -> set[str]:
        return set(re.findall(r"\$(\w+)", self.query))


def recipes() -> list[Recipe]:
    """The numbered sections of the cookbook, each with its Cypher block."""
    return [
        Recipe(int(number), title, query)
        for number, title, _, query in _SECTION.findall(COOKBOOK.read_text())
    ]


@dataclass(frozen=True)
class Lake:
    """The Spark-built pipeline (paths under ``root``) and the hand-written versioned one."""

    root: Path
    namespace: str
    versioned: ImpactPipeline

    def ds(self, path: str) -> str:
        return f"file::{self.root}/{path}"

    def col(self, path: str, column: str) -> str:
        return f"{self.ds(path)}::{column}"


def run_pipeline(spark: Any, root: Path) -> None:
    """Union, filtered join and aggregation: tiny data, a few queries, Delta for silver/gold."""
    from pyspark.sql import functions as F

    orders = "order_id int, customer_id int, amount double, status string"
    spark.createDataFrame([(1, 10, 5.0, "paid"), (2, 11, 7.0, "open")], orders).write.parquet(
        f"{root}/raw/orders"
    )
    spark.createDataFrame([(3, 10, 1.0, "paid")], orders).write.parquet(f"{root}/raw/orders_2020")
    spark.createDataFrame(
        [(10, "Ann", "a@x", "FR"), (11, "Bob", "b@y", "DE")],
        "id int, name string, email string, country string",
    ).write.parquet(f"{root}/raw/customers")
    union = spark.read.parquet(f"{root}/raw/orders").unionByName(
        spark.read.parquet(f"{root}/raw/orders_2020")
    )
    union.write.format("delta").save(f"{root}/silver/all_orders")
    all_orders = spark.read.format("delta").load(f"{root}/silver/all_orders")
    customers = spark.read.parquet(f"{root}/raw/customers")
    enriched = (
        all_orders.where(F.col("status") == "paid")
        .join(customers, all_orders.customer_id == customers.id)
        .select(
            all_orders.order_id,
            all_orders.amount,
            customers.country,
            F.sha2(customers.email, 256).alias("email_hash"),
        )
    )
    enriched.write.format("delta").save(f"{root}/silver/enriched")
    spark.read.format("delta").load(f"{root}/silver/enriched").groupBy("country").agg(
        F.sum("amount").alias("revenue"), F.count("order_id").alias("orders")
    ).write.format("delta").save(f"{root}/gold/revenue")



@pytest.fixture(scope="module")
def lake(
    spark: Any,
    driver: neo4j.Driver,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Lake]:
    root = tmp_path_factory.mktemp("cookbook-lake")
    namespace = f"cookbook-{uuid.uuid4().hex[:8]}"
    agent = attach(
        spark,
        {
            "spark.lineage.namespace": namespace,
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.neo4j.uri": neo4j_uri,
            "spark.lineage.neo4j.user": neo4j_auth[0],
            "spark.lineage.neo4j.password": neo4j_auth[1],
            "spark.lineage.neo4j.spool.dir": str(root / "spool"),
            "spark.lineage.lake.root": str(root),
        },
    )
    assert isinstance(agent, LineageAgent)
    try:
        run_pipeline(spark, root)
        assert agent.flush(180), "the agent did not deliver the lineage in time"
    finally:
        agent.close(60)
    versioned = ImpactPipeline(uuid.uuid4().hex[:10])
    writer = GraphWriter(driver)
    for event in versioned.events():
        writer.write(event)
    yield Lake(root, namespace, versioned)
    delete_scope(driver, f"file::{root}", f"{namespace}::")
    delete_scope(driver, f"file::{versioned.root}", f"{versioned.namespace}::")


def run(driver: neo4j.Driver, recipe: Recipe, **params: Any) -> list[dict[str, Any]]:
    assert recipe.parameters == set(params), f"recipe {recipe.number} takes {recipe.parameters}"
    with driver.session() as session:
        return [record.data() for record in session.run(recipe.query, params)]


def job_of(lake: Lake, output: str) -> str:
    """The agent's job key for the query writing ``output``: ``<application>.<path in the lake>``
    (the lake is the agent's ``spark.lineage.lake.root``)."""
    return f"{lake.namespace}::spark_lineage_tests.{output}"


# --- one check per recipe: (parameters, expectation on the rows) ------------------------------

Check = Callable[[neo4j.Driver, Recipe, Lake], None]


def _blast_radius(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, dataset_key=lake.ds("raw/orders"))
    assert [(r["dataset"], r["hops"]) for r in rows] == [
        (lake.ds("silver/all_orders"), 1),
        (lake.ds("silver/enriched"), 2),
        (lake.ds("gold/revenue"), 3),
    ]


def _downstream_columns(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, column_key=lake.col("raw/orders", "amount"))
    assert [(r["dataset"], r["column"], r["depth"], r["direct"]) for r in rows] == [
        (lake.ds("silver/all_orders"), "amount", 1, True),
        (lake.ds("silver/enriched"), "amount", 2, True),
        (lake.ds("gold/revenue"), "revenue", 3, True),
    ]


def _filter_and_join_uses(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, column_key=lake.col("silver/all_orders", "status"))
    assert [(r["dataset"], r["used_as"]) for r in rows] == [(lake.ds("silver/enriched"), "FILTER")]


def _raw_sources(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, column_key=lake.col("gold/revenue", "revenue"))
    # The raw parquet files were written from in-memory data: that is where the values start.
    assert {(r["dataset"].split("::")[0], r["column"], r["depth"]) for r in rows} == {
        ("memory", "amount", 4)
    }


def _steering_dependencies(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, dataset_key=lake.ds("silver/enriched"))
    assert [(r["dataset"], r["column"], r["used_as"]) for r in rows] == [
        (lake.ds("raw/customers"), "id", "JOIN"),
        (lake.ds("silver/all_orders"), "customer_id", "JOIN"),
        (lake.ds("silver/all_orders"), "status", "FILTER"),
    ]


def _unused_columns(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    assert run(driver, recipe, dataset_key=lake.ds("raw/customers")) == [{"column": "name"}]


def _jobs_touching(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, column_key=lake.col("silver/all_orders", "amount"))
    assert [(r["role"], r["job"]) for r in rows] == [
        ("reads", job_of(lake, "silver/enriched")),
        ("writes", job_of(lake, "silver/all_orders")),
    ]


def _derived_from_version(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    p = lake.versioned
    all_orders = p.ds("all_orders").key
    rows = run(driver, recipe, version_key=f"{all_orders}@v1")
    assert [(r["dataset"], r["version_written"], r["job"]) for r in rows] == [
        (p.ds("enriched").key, 0, p.job("enrich"))
    ]
    assert run(driver, recipe, version_key=f"{all_orders}@v0") == []


def _versions_of_a_run(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    p = lake.versioned
    rows = run(driver, recipe, run_id=f"{p.tag}-e1")
    assert rows == [
        {
            "job": p.job("enrich"),
            "read": [f"{p.ds('all_orders').key}@v1"],
            "wrote": [f"{p.ds('enriched').key}@v0"],
        }
    ]


def _most_depended_on(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, scope=f"file::{lake.root}/")
    assert rows[0] == {"column": lake.col("silver/enriched", "country"), "fan_out": 2, "jobs": 1}
    assert len(rows) == 18 and all(r["fan_out"] == 1 for r in rows[1:])


def _in_clear(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, column_key=lake.col("raw/orders", "amount"))
    assert {(r["dataset"], r["column"]) for r in rows} == {
        (lake.ds("silver/all_orders"), "amount"),
        (lake.ds("silver/enriched"), "amount"),
        (lake.ds("gold/revenue"), "revenue"),
    }
    assert run(driver, recipe, column_key=lake.col("raw/customers", "email")) == []  # sha2


def _shortest_path(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(
        driver,
        recipe,
        column_key=lake.col("silver/all_orders", "amount"),
        target_key=lake.col("gold/revenue", "revenue"),
    )
    assert [r["columns"] for r in rows] == [
        [
            lake.col("silver/all_orders", "amount"),
            lake.col("silver/enriched", "amount"),
            lake.col("gold/revenue", "revenue"),
        ]
    ]
    assert [s.split(" by ")[0] for s in rows[0]["steps"]] == ["IDENTITY", "AGGREGATION"]


def _lineage_of_a_table(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    rows = run(driver, recipe, dataset_key=lake.ds("silver/enriched"))
    assert [(r["job"], r["reads"]) for r in rows] == [
        (job_of(lake, "silver/enriched"), lake.ds("raw/customers")),
        (job_of(lake, "silver/enriched"), lake.ds("silver/all_orders")),
    ]


def _stale_edges(driver: neo4j.Driver, recipe: Recipe, lake: Lake) -> None:
    scope = f"file::{lake.root}/"
    everything = run(driver, recipe, scope=scope, before=2**62)
    # union 2 x 4 columns, enrich 4 values, report 3 values
    assert len(everything) == 15
    oldest = min(r["last_seen"] for r in everything)
    assert run(driver, recipe, scope=scope, before=oldest) == []


CHECKS: dict[int, Check] = {
    1: _blast_radius,
    2: _downstream_columns,
    3: _filter_and_join_uses,
    4: _raw_sources,
    5: _steering_dependencies,
    6: _unused_columns,
    7: _jobs_touching,
    8: _derived_from_version,
    9: _versions_of_a_run,
    10: _most_depended_on,
    11: _in_clear,
    12: _shortest_path,
    13: _lineage_of_a_table,
    14: _stale_edges,
}


def test_the_cookbook_has_at_least_ten_recipes_and_every_one_has_an_expectation() -> None:
    numbers = [r.number for r in recipes()]
    assert len(numbers) >= 10
    assert numbers == sorted(CHECKS)


@pytest.mark.parametrize("recipe", recipes(), ids=lambda r: f"{r.number}-{r.title[:40]}")
def test_cookbook_recipe(driver: neo4j.Driver, lake: Lake, recipe: Recipe) -> None:
    CHECKS[recipe.number](driver, recipe, lake)


# --- the impact commands on the same real-Spark graph --------------------------------------


def _rows(text: str, fmt: str) -> set[tuple[str, str, int, bool]]:
    """(dataset, column, depth, direct) read back; in-memory sources (named after a schema
    digest) show as ``<memory>``."""
    return {(_memory(d), c, depth, direct) for d, c, depth, direct in _parse(text, fmt)}


def _memory(dataset: str) -> str:
    return "<memory>" if dataset.split("/")[-2:-1] in (["rdd"], ["local_relation"]) else dataset


def _parse(text: str, fmt: str) -> set[tuple[str, str, int, bool]]:
    if fmt == "json":
        return {
            (r["dataset"], r["column"], r["depth"], r["direct"]) for r in json.loads(text)["rows"]
        }
    if fmt == "csv":
        return {
            (r["dataset"], r["column"], int(r["depth"]), r["direct"] == "true")
            for r in csv.DictReader(io.StringIO(text))
        }
    return {
        (line.split()[1], line.split()[2], int(line.split()[0]), line.split()[3] == "yes")
        for line in text.splitlines()[3:]
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_spark_impact_of_a_join_key(driver: neo4j.Driver, lake: Lake, fmt: str) -> None:
    report = impact(driver, f"{lake.root}/raw/customers.id")
    enriched, revenue = f"{lake.root}/silver/enriched", f"{lake.root}/gold/revenue"
    assert _rows(format_report(report, fmt), fmt) == {
        (enriched, c, 1, False) for c in ("order_id", "amount", "country", "email_hash")
    } | {(revenue, c, 2, False) for c in ("country", "revenue", "orders")}


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_spark_upstream_of_an_aggregate(driver: neo4j.Driver, lake: Lake, fmt: str) -> None:
    report = upstream(driver, f"{lake.root}/gold/revenue.revenue", depth=3)
    r = str(lake.root)
    assert _rows(format_report(report, fmt), fmt) == {
        (f"{r}/silver/enriched", "amount", 1, True),
        (f"{r}/silver/enriched", "country", 1, False),
        (f"{r}/silver/all_orders", "amount", 2, True),
        (f"{r}/silver/all_orders", "customer_id", 2, False),
        (f"{r}/silver/all_orders", "status", 2, False),
        (f"{r}/raw/customers", "id", 2, False),
        (f"{r}/raw/customers", "country", 2, False),
        (f"{r}/raw/orders", "amount", 3, True),
        (f"{r}/raw/orders_2020", "amount", 3, True),
        (f"{r}/raw/orders", "customer_id", 3, False),
        (f"{r}/raw/orders_2020", "customer_id", 3, False),
        (f"{r}/raw/orders", "status", 3, False),
        (f"{r}/raw/orders_2020", "status", 3, False),
        # customers was written from createDataFrame: its in-memory origin is one hop further
        ("<memory>", "country", 3, False),
        ("<memory>", "id", 3, False),
    }
