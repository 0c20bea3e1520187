"""The table, JSON and CSV renderings of impact/upstream reports and paths (pure, no Neo4j)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from spark_lineage.impact.formats import abbreviated, format_path, format_report, short_jobs
from spark_lineage.impact.model import (
    DatasetInfo,
    Direction,
    Hop,
    LineageReport,
    LineageRow,
    PathReport,
    Target,
)

ORDERS = DatasetInfo("file::/lake/orders", "file", "/lake/orders", table="shop.orders")
TARGET = Target(ORDERS, "amount", ("file::/lake/orders::amount",))


def row(column: str, depth: int, direct: bool, raw: bool | None = None) -> LineageRow:
    return LineageRow(
        column_key=f"file::/lake/report::{column}",
        column=column,
        dataset_key="file::/lake/report",
        dataset="bi.report",
        depth=depth,
        jobs=("spark::nightly.report", "spark::nightly.x"),
        types=("DIRECT",) if direct else ("INDIRECT",),
        subtypes=("AGGREGATION",) if direct else ("FILTER",),
        direct=direct,
        direct_depth=depth if direct else None,
        raw_source=raw,
    )


def report(direction: Direction = Direction.DOWNSTREAM) -> LineageReport:
    raw = None if direction is Direction.DOWNSTREAM else True
    rows = (row("total", 1, True, raw), row('n, "quoted"', 2, False, raw))
    return LineageReport(direction, TARGET, 10, False, rows)


def test_json_keeps_lists_and_says_what_was_asked() -> None:
    document = json.loads(format_report(report(), "json"))
    assert document["target"] == {
        "label": "shop.orders.amount",
        "dataset_key": "file::/lake/orders",
        "dataset": "shop.orders",
        "column": "amount",
    }
    assert (document["direction"], document["max_depth"], document["count"]) == (
        "downstream",
        10,
        2,
    )
    assert document["rows"][0]["jobs"] == ["spark::nightly.report", "spark::nightly.x"]
    assert "raw_source" not in document["rows"][0]


def test_csv_round_trips_awkward_column_names_and_joins_lists() -> None:
    rows = list(csv.DictReader(io.StringIO(format_report(report(), "csv"))))
    assert [r["column"] for r in rows] == ["total", 'n, "quoted"']
    assert rows[0]["direct"] == "true" and rows[1]["direct"] == "false"
    assert rows[0]["jobs"] == "spark::nightly.report;spark::nightly.x"
    assert rows[1]["direct_depth"] == ""


def test_upstream_reports_carry_raw_source() -> None:
    rows = list(csv.DictReader(io.StringIO(format_report(report(Direction.UPSTREAM), "csv"))))
    assert {r["raw_source"] for r in rows} == {"true"}
    table = format_report(report(Direction.UPSTREAM), "table")
    assert table.splitlines()[0] == "upstream of shop.orders.amount (depth <= 10): 2 column(s)"
    assert "RAW_SOURCE" in table.splitlines()[1]


def test_the_table_aligns_columns_and_shows_job_names_without_namespace() -> None:
    lines = format_report(report(), "table").splitlines()
    assert lines[1].split() == ["DEPTH", "DATASET", "COLUMN", "DIRECT", "SUBTYPES", "JOBS"]
    assert lines[3].split() == [
        "1",
        "bi.report",
        "total",
        "yes",
        "AGGREGATION",
        "nightly.report",
        "+1",
    ]
    assert lines[1].index("COLUMN") == lines[3].index("total")


def test_a_table_row_names_one_job_and_three_subtypes_and_counts_the_others() -> None:
    jobs = [f"spark::churn_{n}.t" for n in range(5)]
    assert short_jobs(jobs) == "churn_0.t +4"
    assert short_jobs(jobs[:1]) == "churn_0.t"
    assert short_jobs([]) == ""
    assert abbreviated(["FILTER", "JOIN", "SORT", "WINDOW"], 3) == "FILTER;JOIN;SORT +1"
    assert abbreviated(["FILTER", "JOIN"], 3) == "FILTER;JOIN"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        format_report(report(), "xml")


def test_paths_render_one_row_per_hop() -> None:
    hops = (
        Hop("a", "b", "spark::j1", "DIRECT", "IDENTITY"),
        Hop("b", "c", "spark::j2", "INDIRECT", "JOIN", via_dataset="file::/lake/c"),
    )
    found = PathReport(TARGET, TARGET, 10, False, (hops,))
    rows = list(csv.DictReader(io.StringIO(format_path(found, "csv"))))
    assert [(r["path"], r["step"], r["subtype"], r["via_dataset"]) for r in rows] == [
        ("1", "1", "IDENTITY", ""),
        ("1", "2", "JOIN", "file::/lake/c"),
    ]
    assert json.loads(format_path(found, "json"))["length"] == 2
    empty = PathReport(TARGET, TARGET, 3, False, ())
    assert format_path(empty, "table") == (
        "no path from shop.orders.amount to shop.orders.amount within 3 hop(s)\n"
    )


def long_report() -> LineageReport:
    deep = "file::/mnt/lake/" + "nested/" * 40 + "report"
    wide_row = LineageRow(
        column_key=f"{deep}::total",
        column="total",
        dataset_key=deep,
        dataset=deep.removeprefix("file::"),
        depth=1,
        jobs=tuple(f"spark::nightly_{n}.{'x' * 60}" for n in range(4)),
        types=("DIRECT",),
        subtypes=("AGGREGATION", "FILTER", "GROUP_BY", "JOIN", "SORT"),
        direct=True,
        direct_depth=1,
        raw_source=False,
    )
    return LineageReport(Direction.UPSTREAM, TARGET, 10, False, (wide_row,))


def test_a_table_fits_the_width_it_is_given() -> None:
    lines = format_report(long_report(), "table", width=160).splitlines()

    assert max(len(line) for line in lines[1:]) <= 160
    assert lines[3].split()[:3] == ["1", lines[3].split()[1], "total"]
    assert "…" in lines[3]


def test_full_lists_and_no_width_show_every_job_and_subtype_whole() -> None:
    line = format_report(long_report(), "table", full_lists=True).splitlines()[3]

    assert "…" not in line and "+" not in line
    assert f"nightly_3.{'x' * 60}" in line
    assert "AGGREGATION;FILTER;GROUP_BY;JOIN;SORT" in line


def test_a_path_table_fits_the_width_it_is_given() -> None:
    long_name = "file::/mnt/lake/" + "nested/" * 40 + "c::a"
    hops = ((Hop(long_name, long_name, "spark::j", "DIRECT", "IDENTITY"),),)
    found = PathReport(TARGET, TARGET, 10, False, hops)

    lines = format_path(found, "table", width=100).splitlines()

    assert max(len(line) for line in lines[1:]) <= 100
