"""Column fingerprints: the same lineage gives the same fingerprint whatever its exprIds; a
changed expression, source or use of a source gives another, and only for the column it changes.

The engine-level cases replay recorded plans (tests/fixtures/plans) with their exprIds renumbered
or one literal edited, as a second run of the query or an edited query would record them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from lineage_assertions import golden_cases, lineage_of

from spark_lineage.lineage.fingerprint import (
    DIGEST_LENGTH,
    column_fingerprint,
    expression_digest,
    expression_text,
)
from spark_lineage.lineage.tree import build_expr

CASES = dict(golden_cases())
ALIASES = "projection: aliases, arithmetic and string functions keep their sources"
CHAIN = "projection: withColumn chains resolve through every step"


def _attr(name: str, expr_id: int) -> dict[str, Any]:
    return {
        "class": "org.apache.spark.sql.catalyst.expressions.AttributeReference",
        "num-children": 0,
        "name": name,
        "dataType": "long",
        "nullable": True,
        "metadata": {},
        "exprId": {
            "product-class": "org.apache.spark.sql.catalyst.expressions.ExprId",
            "id": expr_id,
            "jvmId": None,
        },
        "qualifier": [],
    }


def _plus(left: dict[str, Any], value: str) -> list[dict[str, Any]]:
    add = {
        "class": "org.apache.spark.sql.catalyst.expressions.Add",
        "num-children": 2,
        "left": 0,
        "right": 1,
        "evalMode": "LEGACY",
    }
    literal = {
        "class": "org.apache.spark.sql.catalyst.expressions.Literal",
        "num-children": 0,
        "value": value,
        "dataType": "long",
    }
    return [add, left, literal]


def _renumbered(value: Any, offset: int) -> Any:
    """``value`` with every exprId moved by ``offset`` (a later run of the same query)."""
    if isinstance(value, list):
        return [_renumbered(v, offset) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _renumbered(v, offset) for k, v in value.items()}
    if str(out.get("product-class", "")).endswith("ExprId"):
        out["id"] = int(out["id"]) + offset
    if isinstance(out.get("expr_id"), int):
        out["expr_id"] += offset
    return out


def _with_literal(case: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``case`` with the one literal whose value is ``old`` set to ``new``."""
    edited = copy.deepcopy(case)
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            if str(value.get("class", "")).endswith(".Literal") and value.get("value") == old:
                found.append(value)
            for v in value.values():
                walk(v)

    walk(edited["plan"]["nodes"])
    assert len(found) == 1, f"{len(found)} literals {old!r}"
    found[0]["value"] = new
    return edited


def _fingerprints(case: dict[str, Any]) -> dict[str, str]:
    (output,) = lineage_of(case).outputs
    return dict(output.column_fingerprints)


# --- the pure functions -----------------------------------------------------------------------


def test_an_expressions_text_and_digest_leave_out_every_exprid() -> None:
    first = build_expr(_plus(_attr("age", 12), "1"))
    again = build_expr(_plus(_attr("age", 9_812), "1"))

    assert "12" not in expression_text(first)
    assert expression_text(first) == expression_text(again)
    assert expression_digest(first) == expression_digest(again)
    assert len(expression_digest(first)) == DIGEST_LENGTH


def test_a_changed_literal_or_input_name_changes_the_digest() -> None:
    base = expression_digest(build_expr(_plus(_attr("age", 12), "1")))
    assert expression_digest(build_expr(_plus(_attr("age", 12), "2"))) != base
    assert expression_digest(build_expr(_plus(_attr("height", 12), "1"))) != base


def test_an_attribute_defined_earlier_stands_for_its_definitions_digest() -> None:
    use = build_expr(_plus(_attr("a", 40), "1"))
    assert expression_digest(use, {40: "aaaa"}) != expression_digest(use, {40: "bbbb"})
    assert expression_digest(use, {40: "aaaa"}) == expression_digest(use, {40: "aaaa"})


def test_a_column_fingerprint_ignores_the_order_of_discovery() -> None:
    sources = [("file::/t::a", "TRANSFORMATION", False), ("file::/t::b", "IDENTITY", False)]
    assert column_fingerprint(sources, ["x", "y"]) == column_fingerprint(
        list(reversed(sources)), ["y", "x", "x"]
    )


@pytest.mark.parametrize(
    "changed",
    [
        ([("file::/t::a", "TRANSFORMATION", False)], ["y"]),  # another expression
        ([("file::/t::c", "TRANSFORMATION", False)], ["x"]),  # another source
        ([("file::/t::a", "AGGREGATION", False)], ["x"]),  # another use of the source
        ([("file::/t::a", "TRANSFORMATION", True)], ["x"]),  # now masked
    ],
)
def test_a_column_fingerprint_changes_with_any_part_of_the_lineage(
    changed: tuple[list[tuple[str, str, bool]], list[str]],
) -> None:
    base = column_fingerprint([("file::/t::a", "TRANSFORMATION", False)], ["x"])
    assert column_fingerprint(*changed) != base


# --- the engine, on recorded plans ------------------------------------------------------------


def test_every_written_column_has_a_fingerprint() -> None:
    (output,) = lineage_of(CASES[ALIASES]).outputs
    assert set(output.column_fingerprints) == {f.name for f in output.schema}
    assert len(set(output.column_fingerprints.values())) == len(output.schema)


def test_the_same_query_with_other_exprids_gives_the_same_fingerprints() -> None:
    for title in (ALIASES, CHAIN):
        case = CASES[title]
        moved = {**case, "plan": _renumbered(case["plan"], 100_000)}
        assert json.dumps(moved["plan"]) != json.dumps(case["plan"])
        assert _fingerprints(moved) == _fingerprints(case), title


def test_a_changed_expression_changes_only_its_columns_fingerprint() -> None:
    case = CASES[ALIASES]  # ... age + 1 AS next_age ...
    before, after = _fingerprints(case), _fingerprints(_with_literal(case, "1", "2"))
    assert {name for name in before if before[name] != after[name]} == {"next_age"}


def test_a_change_in_an_earlier_step_reaches_the_column_computed_from_it() -> None:
    case = CASES[CHAIN]  # a = age * 2; b = a + id; c = upper(name); writes b, c
    before, after = _fingerprints(case), _fingerprints(_with_literal(case, "2", "3"))
    assert before["b"] != after["b"]
    assert before["c"] == after["c"]
