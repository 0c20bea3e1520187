"""Every golden case, as recorded from each supported Spark line: the plan must give exactly the
expected edges.

The cases (query -> expected edges with types) are defined in tests/fixtures/plans/cases.py and
recorded by scripts/record_plans.py once per line (tests/fixtures/plans/spark-<line>/); this
replays them without a JVM, each case once per recorded line. A case a line cannot run (SQL it
lacks) was recorded as skipped with the reason and is reported skipped here.
"""

from __future__ import annotations

from typing import Any

import pytest
from lineage_assertions import (
    FIXTURES,
    MAIN_LINE,
    assert_column_lineage,
    assert_versions_and_schema,
    golden_cases,
    lineage_of,
    recorded_lines,
)

LINES = recorded_lines()
RECORDED = {line: list(golden_cases(line)) for line in LINES}
FAMILIES = {
    "projection",
    "join",
    "aggregate",
    "window",
    "setops",
    "generate",
    "subquery",
    "relations",
    "writes",
    "hive",
    "delta_history",
    "streaming",
}


def _params(every: int = 1) -> list[Any]:
    """One pytest param per (line, recorded case), every ``every``-th case of each line; skipped
    recordings carry their reason as a skip mark."""
    return [
        pytest.param(
            line,
            name,
            case,
            id=f"{line}/{name}",
            marks=[pytest.mark.skip(reason=case["skipped"])] if "skipped" in case else [],
        )
        for line in LINES
        for name, case in RECORDED[line][::every]
    ]


def _lock_lines() -> set[str]:
    locks = FIXTURES.parents[2] / "locks"
    return {path.stem.removeprefix("spark-") for path in locks.glob("spark-*.toml")}


def test_every_supported_line_has_recorded_golden_plans() -> None:
    assert MAIN_LINE in LINES
    assert set(LINES) == _lock_lines()


@pytest.mark.parametrize("line", LINES)
def test_every_rule_family_has_recorded_cases(line: str) -> None:
    families = {name.split(":")[0] for name, _ in RECORDED[line]}
    assert families >= FAMILIES
    assert len([case for _, case in RECORDED[line] if "plan" in case]) >= 60


@pytest.mark.parametrize("line", LINES)
def test_every_line_records_every_case_run_or_skipped_with_a_reason(line: str) -> None:
    main = [name for name, _ in RECORDED[MAIN_LINE]]
    assert sorted(name for name, _ in RECORDED[line]) == sorted(main)
    for name, case in RECORDED[line]:
        assert ("plan" in case) != bool(case.get("skipped")), f"{line}/{name}: plan or reason"


@pytest.mark.parametrize(("line", "name", "case"), _params())
def test_golden_case(line: str, name: str, case: dict[str, Any]) -> None:
    expected = case["expected"]
    lineage = lineage_of(case)
    assert_column_lineage(
        lineage, expected["edges"], expected["dataset_dependencies"], expected["inputs"]
    )
    assert_versions_and_schema(lineage, expected.get("versions"), expected.get("schema"))
    assert lineage.warnings == ()
    for output in lineage.outputs:
        assert output.conservative == (), f"{name}: unexpected conservative {output.conservative}"


@pytest.mark.parametrize(("line", "name", "case"), _params())
def test_a_query_that_writes_reports_one_output_else_none(
    line: str, name: str, case: dict[str, Any]
) -> None:
    lineage = lineage_of(case)
    assert len(lineage.outputs) == case["expected"]["outputs"]
    assert lineage.inputs, "every recorded query reads something"


def _renumbered(value: Any, shift: int) -> Any:
    """``value`` with every exprId moved by ``shift`` (same ids, different numbering)."""
    if isinstance(value, dict):
        if value.get("product-class", "").endswith("ExprId"):
            return {**value, "id": value["id"] - shift}
        return {key: _renumbered(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_renumbered(item, shift) for item in value]
    return value


def _expr_ids(value: Any) -> list[int]:
    if isinstance(value, dict):
        if value.get("product-class", "").endswith("ExprId"):
            return [int(value["id"])]
        return [i for item in value.values() for i in _expr_ids(item)]
    if isinstance(value, list):
        return [i for item in value for i in _expr_ids(item)]
    return []


@pytest.mark.parametrize(("line", "name", "case"), _params(every=7))
def test_lineage_does_not_depend_on_exprid_numbering_even_from_zero(
    line: str, name: str, case: dict[str, Any]
) -> None:
    """A fresh JVM numbers attributes from 0: exprId 0 is an id like any other (also in the
    plans facts hold, such as a foreachBatch DataFrame's micro-batch)."""
    facts = case["plan"].get("facts") or {}
    # (RESTORE's plan has no attribute at all)
    shift = min(_expr_ids([case["plan"]["nodes"], facts.get("relations") or []]), default=0)
    relations = [
        {**_renumbered(r, shift), "expr_id": r["expr_id"] - shift} if "expr_id" in r else r
        for r in facts.get("relations") or []
    ]
    plan = {
        "nodes": _renumbered(case["plan"]["nodes"], shift),
        "facts": {**facts, "relations": relations},
    }
    expected = case["expected"]

    lineage = lineage_of({**case, "plan": plan})

    assert_column_lineage(
        lineage, expected["edges"], expected["dataset_dependencies"], expected["inputs"]
    )
    assert lineage.warnings == ()
