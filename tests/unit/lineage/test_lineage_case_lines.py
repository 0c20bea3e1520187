"""Which golden cases a Spark line cannot run, and why (``cases.skip_reason``): SQL an older line
lacks (``Case.since``), or Delta on a line no Delta release supports."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "plans"))

from cases import CASES, Case, needs_delta, skip_reason


def case(title_start: str) -> Case:
    (found,) = [c for c in CASES if c.title.startswith(title_start)]
    return found


def test_a_case_runs_on_its_own_line_and_newer_and_is_skipped_with_the_sql_before() -> None:
    recursive = case("WITH RECURSIVE: the loop's columns")

    assert skip_reason(recursive, "4.1.4") is None
    assert skip_reason(recursive, "4.3.0") is None
    reason = skip_reason(recursive, "3.5.9")
    assert reason is not None and "WITH RECURSIVE" in reason and "4.1+" in reason


def test_every_delta_family_and_stream_of_a_delta_table_needs_delta() -> None:
    for c in CASES:
        if c.family == "delta_history" or "readStream.format('delta')" in c.code:
            assert needs_delta(c), c.title


def test_cases_over_parquet_tables_and_files_need_no_delta() -> None:
    assert not needs_delta(case("aliases, arithmetic and string functions"))
    assert not needs_delta(case("a parquet file stream source"))
    assert sum(not needs_delta(c) for c in CASES) >= 80


def test_without_delta_a_delta_case_is_skipped_naming_the_missing_delta() -> None:
    merge = case("Delta MERGE with a query source")

    assert skip_reason(merge, "4.1.4") is None
    reason = skip_reason(merge, "4.3.0", delta=False)
    assert reason is not None and "no Delta Lake release" in reason
    assert skip_reason(case("select * copies"), "4.3.0", delta=False) is None
