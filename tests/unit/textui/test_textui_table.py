"""Tables fit the terminal: the widest cells are cut first with "…"; --wide keeps everything."""

from __future__ import annotations

import io

import pytest

from spark_lineage.textui.table import (
    PIPE_WIDTH,
    cut,
    fit_widths,
    output_width,
    render_table,
    text_width,
)

HEADERS = ("DEPTH", "DATASET", "COLUMN", "DIRECT", "SUBTYPES", "JOBS", "RAW_SOURCE")
# The row that made `upstream` 455 characters wide: a deep lake path, a long job name.
LONG_ROW = (
    "2",
    "/mnt/datalake/" + "very/deeply/nested/partitioned/" * 6 + "customers_enriched_daily",
    "customer_lifetime_value_eur",
    "yes",
    "AGGREGATION;GROUP_BY;JOIN",
    "nightly_customer_enrichment_pipeline." + "x" * 150,
    "no",
)


class Terminal(io.StringIO):
    """A stream that says it is a terminal (its size comes from COLUMNS in these tests)."""

    def isatty(self) -> bool:
        return True


def test_a_455_character_row_fits_in_160_columns() -> None:
    assert len("  ".join(LONG_ROW)) > 400

    lines = render_table(HEADERS, [LONG_ROW], 160).splitlines()

    assert max(text_width(line) for line in lines) <= 160
    assert lines[2].split()[0] == "2" and "…" in lines[2]


def test_the_widest_cells_are_cut_first_and_narrow_ones_are_kept() -> None:
    row = render_table(HEADERS, [LONG_ROW], 160).splitlines()[2].split()

    assert row[0] == "2" and row[3] == "yes" and row[6] == "no"
    assert row[2] == "customer_lifetime_value_eur"  # narrower than the cut: whole
    assert "…" in row[1] and "…" in row[5]


def test_a_cut_cell_keeps_its_start_and_more_of_its_end() -> None:
    path = "/mnt/datalake/raw/events/year=2026/month=12/customers_enriched_daily"

    assert cut(path, 31) == "/mnt/datal…omers_enriched_daily"
    assert text_width(cut(path, 31)) == 31
    assert cut("short", 31) == "short"


def test_no_width_keeps_every_cell_whole() -> None:
    lines = render_table(HEADERS, [LONG_ROW], None).splitlines()

    assert "…" not in "".join(lines)
    assert lines[2].split() == list(LONG_ROW)


def test_a_table_that_fits_is_not_changed_by_the_width() -> None:
    rows = [("1", "shop.orders", "amount", "yes", "IDENTITY", "nightly", "no")]

    assert render_table(HEADERS, rows, 160) == render_table(HEADERS, rows, None)


def test_wide_characters_count_two_cells_and_marks_none() -> None:
    assert text_width("中文表") == 6
    assert text_width("café") == text_width("cafe\u0301") == 4
    assert cut("中文表名字", 8) == "中…名字"  # 7 cells of text at most, and the ellipsis
    assert text_width(cut("中文表名字", 8)) <= 8


def test_columns_of_wide_characters_stay_aligned() -> None:
    rows = [("中文数据集名称很长很长", "x"), ("ascii", "y")]

    lines = render_table(("NAME", "V"), rows, 12).splitlines()

    assert lines[2] == "中…长很长  x"
    assert lines[3] == "ascii      y"
    assert [text_width(line[:-1]) for line in lines[2:]] == [11, 11]


def test_control_characters_cannot_break_a_row() -> None:
    lines = render_table(("NAME",), [("evil\nname\x1b[2J",)], None).splitlines()

    assert lines[2] == "evil\N{REPLACEMENT CHARACTER}name\N{REPLACEMENT CHARACTER}[2J"


def test_fitting_shares_the_width_down_to_a_common_cap() -> None:
    assert fit_widths([5, 50, 50], 40) == [5, 16, 15]
    assert fit_widths([5, 50, 50], None) == [5, 50, 50]
    assert fit_widths([3, 4], 100) == [3, 4]


@pytest.mark.parametrize(
    ("wide", "columns", "terminal", "expected"),
    [
        (True, "80", True, None),
        (False, "80", False, 80),
        (False, "", False, PIPE_WIDTH),
        (False, "not a number", False, PIPE_WIDTH),
    ],
)
def test_the_width_is_wide_then_columns_then_the_terminal_then_160(
    wide: bool, columns: str, terminal: bool, expected: int | None
) -> None:
    stream = Terminal() if terminal else io.StringIO()

    assert output_width(wide=wide, stream=stream, environ={"COLUMNS": columns}) == expected


def test_a_terminal_without_a_size_falls_back_to_160() -> None:
    # Claims to be a terminal but has no file descriptor (as under pytest's capture).
    assert output_width(wide=False, stream=Terminal(), environ={}) == PIPE_WIDTH
