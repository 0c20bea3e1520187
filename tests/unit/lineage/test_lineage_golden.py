"""Every golden case recorded from real Spark 4.1: the plan must give exactly the expected edges.

The cases (query -> expected edges with types) are defined in tests/fixtures/plans/cases.py and
recorded by scripts/record_plans.py; this replays them without a JVM.
"""

from __future__ import annotations

from typing import Any

import pytest
from lineage_assertions import (
    assert_column_lineage,
    assert_versions_and_schema,
    golden_cases,
    lineage_of,
)

CASES = list(golden_cases())


def test_every_rule_family_has_recorded_cases() -> None:
    families = {name.split(":")[0] for name, _ in CASES}
    assert families >= {
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
    assert len(CASES) >= 60


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_golden_case(name: str, case: dict[str, Any]) -> None:
    expected = case["expected"]
    lineage = lineage_of(case)
    assert_column_lineage(
        lineage, expected["edges"], expected["dataset_dependencies"], expected["inputs"]
    )
    assert_versions_and_schema(lineage, expected.get("versions"), expected.get("schema"))
    assert lineage.warnings == ()
    for output in lineage.outputs:
        assert output.conservative == (), f"{name}: unexpected conservative {output.conservative}"


@pytest.mark.parametrize(("name", "case"), CASES, ids=[name for name, _ in CASES])
def test_a_query_that_writes_reports_one_output_else_none(name: str, case: dict[str, Any]) -> None:
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


@pytest.mark.parametrize(("name", "case"), CASES[::7], ids=[name for name, _ in CASES[::7]])
def test_lineage_does_not_depend_on_exprid_numbering_even_from_zero(
    name: str, case: dict[str, Any]
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
