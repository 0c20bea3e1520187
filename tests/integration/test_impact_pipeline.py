"""Impact, upstream and path on the real Neo4j, for a small pipeline with a union, a join and an
aggregation, written through the graph writer exactly as the agent's sink writes it.

The pipeline (each arrow a job; ``~>`` a dataset-wide INDIRECT dependency, FEEDS_DATASET)::

    raw/orders ──┐ union_orders            enrich                      report
    raw/orders_2020 ┴─> silver.all_orders ──┬─> silver.enriched ──> gold.revenue_by_country
    raw/customers ──────────────────────────┘   order_id, amount,      country, revenue, orders
                                                country, email_hash,
                                                city (from address.city)
    enrich: all_orders.customer_id, customers.id ~> enriched (JOIN); all_orders.status ~> (FILTER)
    report: enriched.country ~> revenue_by_country (GROUP_BY)

Every expectation below is the exact set of (dataset, column, depth, direct) rows, checked in
every output format (table, json, csv) and through the CLI.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.impact import UnknownName, impact, path, upstream
from spark_lineage.impact.formats import FORMATS, format_path, format_report
from spark_lineage.impact.model import LineageReport
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

pytestmark = pytest.mark.neo4j

T0 = 978_307_200_000  # January 2001: far from any other test's data

RAW_COLUMNS = ("order_id", "customer_id", "amount", "status")
CUSTOMER_COLUMNS = ("id", "name", "email", "country", "address.city")
ENRICHED_COLUMNS = ("amount", "city", "country", "email_hash", "order_id")
REVENUE_COLUMNS = ("country", "orders", "revenue")


@dataclass(frozen=True)
class ImpactPipeline:
    """The datasets and jobs of the test pipeline, under a unique root and job namespace."""

    tag: str

    @property
    def root(self) -> str:
        return f"/itest-impact-{self.tag}/lake"

    @property
    def namespace(self) -> str:
        return f"itest-impact-{self.tag}"

    def ds(self, short: str) -> DatasetRef:
        """raw/orders, raw/orders_2020, raw/customers, all_orders, enriched, revenue."""
        tables = {
            "all_orders": ("silver/all_orders", f"silver_{self.tag}.all_orders"),
            "enriched": ("silver/enriched", f"silver_{self.tag}.enriched"),
            "revenue": ("gold/revenue", f"gold_{self.tag}.revenue_by_country"),
        }
        if short in tables:
            location, table = tables[short]
            return DatasetRef("file", f"{self.root}/{location}", "delta", table)
        return DatasetRef("file", f"{self.root}/{short}", "parquet")

    def label(self, short: str) -> str:
        """What impact reports as the dataset: table name, else the path."""
        ref = self.ds(short)
        return ref.table or ref.name

    def job(self, name: str) -> str:
        return f"{self.namespace}::{name}"

    def events(self) -> list[LineageEvent]:
        return [
            self._union(f"{self.tag}-u1", T0, 0),
            self._union(f"{self.tag}-u2", T0 + 3_600_000, 1),
            self._enrich(f"{self.tag}-e1", T0 + 7_200_000),
            self._report(f"{self.tag}-r1", T0 + 10_800_000),
        ]

    def _event(
        self,
        run_id: str,
        job: str,
        at: int,
        inputs: tuple[InputDataset, ...],
        output: OutputDataset,
    ) -> LineageEvent:
        return LineageEvent(
            run_id=run_id,
            event_type=EventType.COMPLETE,
            job_namespace=self.namespace,
            job_name=job,
            event_time_ms=at,
            started_at_ms=at - 1000,
            ended_at_ms=at,
            app=AppContext(f"app-{job}", job),
            inputs=inputs,
            outputs=(output,),
        )

    def _union(self, run_id: str, at: int, version: int) -> LineageEvent:
        orders, archive, target = (
            self.ds("raw/orders"),
            self.ds("raw/orders_2020"),
            self.ds("all_orders"),
        )
        edges = tuple(
            _edge(source, name, target, name, "IDENTITY")
            for source in (orders, archive)
            for name in RAW_COLUMNS
        )
        schema = tuple(SchemaField(n, "string") for n in RAW_COLUMNS)
        return self._event(
            run_id,
            "union_orders",
            at,
            (InputDataset(orders, schema), InputDataset(archive, schema)),
            OutputDataset(
                target,
                schema,
                edges,
                write_mode="overwrite",
                version=VersionInfo(version, timestamp_ms=at, operation="WRITE"),
            ),
        )

    def _enrich(self, run_id: str, at: int) -> LineageEvent:
        orders, customers, enriched = (
            self.ds("all_orders"),
            self.ds("raw/customers"),
            self.ds("enriched"),
        )
        edges = (
            _edge(orders, "order_id", enriched, "order_id", "IDENTITY"),
            _edge(orders, "amount", enriched, "amount", "IDENTITY"),
            _edge(customers, "country", enriched, "country", "IDENTITY"),
            _edge(customers, "email", enriched, "email_hash", "TRANSFORMATION", masking=True),
            _edge(customers, "address.city", enriched, "city", "IDENTITY"),
        )
        deps = (
            (ColumnRef(orders, "customer_id"), Transformation(TransformationSubtype.JOIN)),
            (ColumnRef(customers, "id"), Transformation(TransformationSubtype.JOIN)),
            (ColumnRef(orders, "status"), Transformation(TransformationSubtype.FILTER)),
        )
        return self._event(
            run_id,
            "enrich",
            at,
            (
                InputDataset(orders, version=VersionInfo(1)),
                InputDataset(customers, tuple(SchemaField(n, "string") for n in CUSTOMER_COLUMNS)),
            ),
            OutputDataset(
                enriched,
                tuple(SchemaField(n, "string") for n in ENRICHED_COLUMNS),
                edges,
                deps,
                write_mode="overwrite",
                version=VersionInfo(0, timestamp_ms=at, operation="CREATE TABLE"),
            ),
        )

    def _report(self, run_id: str, at: int) -> LineageEvent:
        enriched, revenue = self.ds("enriched"), self.ds("revenue")
        edges = (
            _edge(enriched, "country", revenue, "country", "IDENTITY"),
            _edge(enriched, "amount", revenue, "revenue", "AGGREGATION"),
            _edge(enriched, "order_id", revenue, "orders", "AGGREGATION"),
        )
        deps = ((ColumnRef(enriched, "country"), Transformation(TransformationSubtype.GROUP_BY)),)
        return self._event(
            run_id,
            "report",
            at,
            (InputDataset(enriched, version=VersionInfo(0)),),
            OutputDataset(
                revenue,
                tuple(SchemaField(n, "string") for n in REVENUE_COLUMNS),
                edges,
                deps,
                write_mode="overwrite",
                version=VersionInfo(0, timestamp_ms=at, operation="WRITE"),
            ),
        )


def _edge(
    source: DatasetRef,
    source_col: str,
    target: DatasetRef,
    target_col: str,
    subtype: str,
    masking: bool = False,
) -> ColumnEdge:
    return ColumnEdge(
        ColumnRef(source, source_col),
        ColumnRef(target, target_col),
        Transformation(TransformationSubtype(subtype), masking),
    )



@pytest.fixture(scope="module")
def built(driver: neo4j.Driver) -> Iterator[ImpactPipeline]:
    """The pipeline written once for the module, removed afterwards."""
    pipeline = ImpactPipeline(uuid.uuid4().hex[:10])
    writer = GraphWriter(driver)
    for event in pipeline.events():
        writer.write(event)
    yield pipeline
    delete_scope(driver, f"file::{pipeline.root}", f"{pipeline.namespace}::")


# --- reading every output format back into comparable rows ----------------------------------

Row = tuple[str, str, int, bool]


def parsed_rows(report: LineageReport, fmt: str) -> set[Row]:
    """(dataset, column, depth, direct) of every row, read back from the formatted text."""
    text = format_report(report, fmt)
    if fmt == "json":
        return {
            (r["dataset"], r["column"], r["depth"], r["direct"]) for r in json.loads(text)["rows"]
        }
    if fmt == "csv":
        return {
            (r["dataset"], r["column"], int(r["depth"]), r["direct"] == "true")
            for r in csv.DictReader(io.StringIO(text))
        }
    lines = text.splitlines()[3:]  # title, header, rule
    rows = set()
    for line in lines:
        depth, dataset, column, direct = line.split()[:4]
        rows.add((dataset, column, int(depth), direct == "yes"))
    return rows


def rows_of(p: ImpactPipeline, spec: dict[str, tuple[tuple[str, ...], int, bool]]) -> set[Row]:
    """Expected rows from {dataset short name: (columns, depth, direct)}."""
    return {
        (p.label(ds), col, depth, direct)
        for ds, (cols, depth, direct) in spec.items()
        for col in cols
    }


# --- impact (downstream) ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_impact_of_a_value_column_follows_union_join_and_aggregation(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = impact(driver, f"{built.root}/raw/orders.amount")
    expected = {
        (built.label("all_orders"), "amount", 1, True),
        (built.label("enriched"), "amount", 2, True),
        (built.label("revenue"), "revenue", 3, True),
    }
    assert parsed_rows(report, fmt) == expected
    revenue = report.rows[-1]
    assert revenue.jobs == tuple(sorted(built.job(j) for j in ("union_orders", "enrich", "report")))
    assert revenue.subtypes == ("AGGREGATION", "IDENTITY")
    assert revenue.types == ("DIRECT",)


@pytest.mark.parametrize("fmt", FORMATS)
def test_impact_of_a_filter_column_reaches_every_column_of_the_filtered_dataset(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = impact(driver, f"{built.label('all_orders')}.status")
    expected = rows_of(
        built,
        {
            "enriched": (ENRICHED_COLUMNS, 1, False),
            "revenue": (REVENUE_COLUMNS, 2, False),
        },
    )
    assert parsed_rows(report, fmt) == expected
    by_column = {(r.dataset, r.column): r for r in report.rows}
    country = by_column[(built.label("revenue"), "country")]
    assert country.subtypes == ("FILTER", "GROUP_BY", "IDENTITY")
    assert country.types == ("DIRECT", "INDIRECT")


@pytest.mark.parametrize("fmt", FORMATS)
def test_impact_of_a_join_key_is_indirect_on_the_joined_output_and_beyond(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = impact(driver, f"{built.root}/raw/customers.id")
    expected = rows_of(
        built,
        {
            "enriched": (ENRICHED_COLUMNS, 1, False),
            "revenue": (REVENUE_COLUMNS, 2, False),
        },
    )
    assert parsed_rows(report, fmt) == expected
    assert {r.subtypes for r in report.rows if r.depth == 1} == {("JOIN",)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_impact_of_a_whole_dataset_covers_all_its_columns(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = impact(driver, f"file:{built.root}/raw/orders_2020")
    assert report.target.column is None
    assert len(report.target.column_keys) == len(RAW_COLUMNS)
    expected = (
        rows_of(built, {"all_orders": (RAW_COLUMNS, 1, True)})
        | {(built.label("enriched"), c, 2, c in ("amount", "order_id")) for c in ENRICHED_COLUMNS}
        | {(built.label("revenue"), c, 3, c in ("revenue", "orders")) for c in REVENUE_COLUMNS}
    )
    assert parsed_rows(report, fmt) == expected


def test_direct_only_keeps_only_value_carrying_paths(
    driver: neo4j.Driver, built: ImpactPipeline
) -> None:
    report = impact(driver, f"{built.root}/raw/orders.status", direct_only=True)
    assert parsed_rows(report, "json") == {(built.label("all_orders"), "status", 1, True)}
    everything = impact(driver, f"{built.root}/raw/orders.status")
    assert len(everything.rows) == 1 + len(ENRICHED_COLUMNS) + len(REVENUE_COLUMNS)


def test_depth_bounds_the_walk(driver: neo4j.Driver, built: ImpactPipeline) -> None:
    report = impact(driver, f"{built.root}/raw/orders.amount", depth=2)
    assert [r.depth for r in report.rows] == [1, 2]
    with pytest.raises(ValueError, match="between 1 and 25"):
        impact(driver, f"{built.root}/raw/orders.amount", depth=26)


def test_a_masked_value_is_flagged(driver: neo4j.Driver, built: ImpactPipeline) -> None:
    report = impact(driver, f"{built.root}/raw/customers.email")
    email_hash = next(r for r in report.rows if r.column == "email_hash")
    assert (email_hash.depth, email_hash.direct, email_hash.masking) == (1, True, True)


# --- upstream --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_upstream_of_an_aggregate_goes_down_to_raw_sources(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = upstream(driver, f"{built.label('revenue')}.revenue")
    expected = {
        (built.label("enriched"), "amount", 1, True),
        (built.label("enriched"), "country", 1, False),
        (built.label("all_orders"), "amount", 2, True),
        (built.label("all_orders"), "customer_id", 2, False),
        (built.label("all_orders"), "status", 2, False),
        (built.label("raw/customers"), "id", 2, False),
        (built.label("raw/customers"), "country", 2, False),
        (built.label("raw/orders"), "amount", 3, True),
        (built.label("raw/orders_2020"), "amount", 3, True),
        (built.label("raw/orders"), "customer_id", 3, False),
        (built.label("raw/orders_2020"), "customer_id", 3, False),
        (built.label("raw/orders"), "status", 3, False),
        (built.label("raw/orders_2020"), "status", 3, False),
    }
    assert parsed_rows(report, fmt) == expected
    raw = {(r.dataset, r.column) for r in report.rows if r.raw_source}
    assert raw == {(d, c) for d, c, _, _ in expected if "/raw/" in d}


@pytest.mark.parametrize("fmt", FORMATS)
def test_upstream_of_a_masked_column_includes_the_join_and_filter_columns(
    driver: neo4j.Driver, built: ImpactPipeline, fmt: str
) -> None:
    report = upstream(driver, f"{built.label('enriched')}.email_hash")
    expected = {
        (built.label("raw/customers"), "email", 1, True),
        (built.label("raw/customers"), "id", 1, False),
        (built.label("all_orders"), "customer_id", 1, False),
        (built.label("all_orders"), "status", 1, False),
        (built.label("raw/orders"), "customer_id", 2, False),
        (built.label("raw/orders_2020"), "customer_id", 2, False),
        (built.label("raw/orders"), "status", 2, False),
        (built.label("raw/orders_2020"), "status", 2, False),
    }
    assert parsed_rows(report, fmt) == expected


# --- path ------------------------------------------------------------------------------------


def test_path_lists_each_hop_with_its_job_and_transformation(
    driver: neo4j.Driver, built: ImpactPipeline
) -> None:
    report = path(driver, f"{built.root}/raw/orders.amount", f"{built.label('revenue')}.revenue")
    assert report.length == 3
    assert [[(h.job, h.subtype) for h in hops] for hops in report.paths] == [
        [
            (built.job("union_orders"), "IDENTITY"),
            (built.job("enrich"), "IDENTITY"),
            (built.job("report"), "AGGREGATION"),
        ]
    ]
    document = json.loads(format_path(report, "json"))
    assert document["length"] == 3 and len(document["paths"]) == 1
    rows = list(csv.DictReader(io.StringIO(format_path(report, "csv"))))
    assert [r["subtype"] for r in rows] == ["IDENTITY", "IDENTITY", "AGGREGATION"]
    assert "1 shortest path(s) of 3 hop(s)" in format_path(report, "table")


def test_path_through_dataset_wide_dependencies_lists_every_shortest_way(
    driver: neo4j.Driver, built: ImpactPipeline
) -> None:
    report = path(driver, f"{built.root}/raw/customers.id", f"{built.label('revenue')}.country")
    shapes = {tuple((h.subtype, h.via_dataset is not None) for h in hops) for hops in report.paths}
    assert shapes == {(("JOIN", True), ("IDENTITY", False)), (("JOIN", True), ("GROUP_BY", True))}


def test_no_path_against_the_flow(driver: neo4j.Driver, built: ImpactPipeline) -> None:
    report = path(driver, f"{built.label('revenue')}.revenue", f"{built.root}/raw/orders.amount")
    assert report.paths == () and report.length is None
    assert "no path" in format_path(report, "table")


# --- naming a target -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "{root}/raw/customers.address.city",
        "file:{root}/raw/customers.address.city",
        "file::{root}/raw/customers::address.city",
    ],
)
def test_nested_column_names_resolve_by_the_longest_dataset_prefix(
    driver: neo4j.Driver, built: ImpactPipeline, spelling: str
) -> None:
    report = impact(driver, spelling.format(root=built.root))
    assert report.target.column == "address.city"
    assert {(r.column, r.depth) for r in report.rows} == {("city", 1)}


def test_explicit_column_option(driver: neo4j.Driver, built: ImpactPipeline) -> None:
    report = impact(driver, f"{built.root}/raw/customers", column="address.city")
    assert [r.column for r in report.rows] == ["city"]


def test_unknown_names_fail_with_a_helpful_message(
    driver: neo4j.Driver, built: ImpactPipeline
) -> None:
    with pytest.raises(UnknownName, match=r"no column 'nope'.*columns: address\.city, country"):
        impact(driver, f"{built.root}/raw/customers.nope")
    with pytest.raises(UnknownName, match="no dataset"):
        impact(driver, f"/nowhere-{built.tag}/x.y")


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> list[str]:
    """Connection flags for ``spark-lineage`` (the password through the environment)."""
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    return ["--uri", neo4j_uri, "--user", neo4j_auth[0]]


def test_cli_impact_prints_the_rows_in_each_format(
    built: ImpactPipeline, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    target = f"{built.root}/raw/orders.amount"
    assert main(["impact", target, *cli_env]) == 0
    table = capsys.readouterr().out
    assert table.startswith(f"impact of {target} (depth <= 10): 3 column(s)")
    assert main(["impact", target, "--format", "json", "--depth", "2", *cli_env]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [(r["column"], r["depth"]) for r in document["rows"]] == [("amount", 1), ("amount", 2)]
    assert main(["impact", target, "--format", "csv", "--direct-only", *cli_env]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["dataset"], r["column"]) for r in rows] == [
        (built.label("all_orders"), "amount"),
        (built.label("enriched"), "amount"),
        (built.label("revenue"), "revenue"),
    ]


def test_cli_upstream_and_path(
    built: ImpactPipeline, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["upstream", built.label("enriched"), "--column", "city", "--format", "csv", *cli_env])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {(r["column"], r["raw_source"]) for r in rows} >= {("address.city", "true")}
    assert (
        main(
            [
                "path",
                f"{built.root}/raw/orders.amount",
                f"{built.label('revenue')}.revenue",
                *cli_env,
            ]
        )
        == 0
    )
    assert "1 shortest path(s) of 3 hop(s)" in capsys.readouterr().out
    assert (
        main(
            [
                "path",
                f"{built.label('revenue')}.revenue",
                f"{built.root}/raw/orders.amount",
                *cli_env,
            ]
        )
        == 1
    )


def test_cli_reports_an_unknown_column_in_one_line(
    built: ImpactPipeline, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", f"{built.root}/raw/orders.nope", *cli_env]) == 1
    err = capsys.readouterr().err
    assert "has no column 'nope'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_cli_graph_text_formats_group_columns_in_their_datasets(
    built: ImpactPipeline, cli_env: list[str], capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    assert main(["graph", f"{built.label('enriched')}.amount", "--format", fmt, *cli_env]) == 0
    text = capsys.readouterr().out
    for label in (
        built.label("enriched"),
        built.label("all_orders"),
        built.label("revenue"),
        built.root + "/raw/orders",
        built.root + "/raw/orders_2020",
    ):
        assert label in text
    if fmt == "mermaid":
        assert text.startswith("flowchart LR")
        assert "AGGREGATION · report" in text and "stroke:#6a1b9a" in text
    else:
        assert text.startswith("digraph lineage {") and text.rstrip().endswith("}")
        assert text.count("subgraph cluster_") == 6  # 3 raw, all_orders, enriched, revenue
