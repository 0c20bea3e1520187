"""``tags list``: a table with a header line that fits the terminal, or JSON, or CSV."""

from __future__ import annotations

import csv
import io
import json

from spark_lineage.compliance.formats import canonical, format_listing

ORIGIN = "file::/lake/raw/customers::email"
CARRIER = "file::/lake/" + "clean/" * 30 + "customers::email_hash"
ROWS = canonical(
    "tagged_columns",
    [
        {
            "tag": "pii",
            "origin_column": ORIGIN,
            "origin_dataset": "file::/lake/raw/customers",
            "tag_sources": ["policy"],
            "column": CARRIER,
            "dataset": CARRIER.rsplit("::", 1)[0],
            "column_name": "email_hash",
            "carry": "masked",
            "depth": 2,
            "path": [ORIGIN, CARRIER],
            "path_jobs": ["spark::clean.customers", "spark::features.churn"],
            "path_subtypes": ["TRANSFORMATION"],
            "jobs": ["spark::features.churn"],
        }
    ],
)


def test_the_table_has_a_header_line_a_row_per_flow_and_a_count() -> None:
    lines = format_listing(ROWS, "table", None).splitlines()

    assert lines[0].split() == ["TAG", "CARRY", "COLUMN", "ORIGIN", "DEPTH", "VIA"]
    assert lines[2].split()[:5] == ["pii", "masked", CARRIER, ORIGIN, "2"]
    assert lines[2].endswith("clean.customers > features.churn")  # job names, as in impact
    assert lines[-1] == "1 row(s)"


def test_the_table_fits_the_width() -> None:
    lines = format_listing(ROWS, "table", 120).splitlines()

    assert max(len(line) for line in lines) <= 120
    assert lines[2].split()[:2] == ["pii", "masked"]


def test_no_rows_is_just_the_count() -> None:
    assert format_listing([], "table", 80) == "0 row(s)\n"


def test_json_and_csv_hold_the_whole_rows() -> None:
    assert json.loads(format_listing(ROWS, "json")) == ROWS
    (row,) = csv.DictReader(io.StringIO(format_listing(ROWS, "csv")))
    assert row["column"] == CARRIER and json.loads(row["path_jobs"]) == ROWS[0]["path_jobs"]
