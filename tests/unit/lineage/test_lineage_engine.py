"""Engine behaviour no real plan shows easily: unknown nodes and expressions, broken input,
very deep and very wide plans. Plans here are built by hand in Spark's JSON shape (synthetic,
and labelled so); everything else is tested on recorded plans."""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any

import pytest
from lineage_assertions import assert_column_lineage, golden_cases

from spark_lineage.lineage import extract_lineage
from spark_lineage.model import CapturedPlan

CASES = dict(golden_cases())
ID, TR = "DIRECT/IDENTITY", "DIRECT/TRANSFORMATION"
PKG = "org.apache.spark.sql.catalyst"


def attr(name: str, expr_id: int, data_type: str = "long") -> list[dict[str, Any]]:
    return [
        {
            "class": f"{PKG}.expressions.AttributeReference",
            "num-children": 0,
            "name": name,
            "dataType": data_type,
            "exprId": {"id": expr_id},
        }
    ]


def alias(name: str, expr_id: int, child: list[dict[str, Any]]) -> list[dict[str, Any]]:
    head = {
        "class": f"{PKG}.expressions.Alias",
        "num-children": 1,
        "child": 0,
        "name": name,
        "exprId": {"id": expr_id},
    }
    return [head, *child]


def add(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"class": f"{PKG}.expressions.Add", "num-children": 2, "left": 0, "right": 1},
        *left,
        *right,
    ]


def relation(expr_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "class": "org.apache.spark.sql.execution.datasources.LogicalRelation",
        "num-children": 0,
        "output": [attr(n, i) for n, i in expr_ids.items()],
    }


def write_to(path: str, names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    node = {
        "class": "org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand",
        "num-children": 1,
        "query": 0,
    }
    facts = {
        "paths": [f"file:{path}"],
        "format": "parquet",
        "mode": "Append",
        "column_names": names,
    }
    return node, facts


def captured(
    nodes: list[dict[str, Any]], names: list[str], columns: dict[str, int]
) -> CapturedPlan:
    command, write = write_to("/out/t", names)
    facts = {
        "relations": [
            {
                "expr_id": min(columns.values()),
                "paths": ["file:/in/src"],
                "format": "parquet",
                "table": None,
            }
        ],
        "write": write,
    }
    return CapturedPlan(nodes=(command, *nodes, relation(columns)), facts=facts)


def test_an_unknown_plan_node_feeds_every_input_to_every_output_and_is_flagged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mystery = {
        "class": "com.example.MysteryNode",
        "num-children": 1,
        "child": 0,
        "extra": [alias("m", 10, attr("a", 1))],
    }
    project = {
        "class": f"{PKG}.plans.logical.Project",
        "num-children": 1,
        "child": 0,
        "projectList": [attr("m", 10), attr("b", 2)],
    }
    plan = captured([project, mystery], ["m", "b"], {"a": 1, "b": 2})
    with caplog.at_level(logging.WARNING):
        lineage = extract_lineage(plan)
        extract_lineage(plan)
    assert_column_lineage(
        lineage,
        [("src.a", "t.m", TR), ("src.b", "t.m", TR), ("src.a", "t.b", TR), ("src.b", "t.b", TR)],
    )
    assert lineage.outputs[0].conservative == ("MysteryNode",)
    assert sum("MysteryNode" in r.message for r in caplog.records) <= 1, "logged once per class"


def test_an_unknown_expression_is_a_transformation_of_its_children() -> None:
    weird = [
        {"class": "com.example.FancyFunction", "num-children": 2},
        *attr("a", 1),
        *attr("b", 2),
    ]
    project = {
        "class": f"{PKG}.plans.logical.Project",
        "num-children": 1,
        "child": 0,
        "projectList": [alias("f", 10, weird)],
    }
    lineage = extract_lineage(captured([project], ["f"], {"a": 1, "b": 2}))
    assert_column_lineage(lineage, [("src.a", "t.f", TR), ("src.b", "t.f", TR)])
    assert lineage.outputs[0].conservative == ()


def test_a_recorded_plan_with_an_unknown_node_class_degrades_not_crashes() -> None:
    recorded = copy.deepcopy(CASES["window: rank(): partition and order keys are WINDOW"])
    for node in recorded["plan"]["nodes"]:
        if node["class"].endswith(".Window"):
            node["class"] = "com.example.FutureWindow"
    lineage = extract_lineage(CapturedPlan.from_dict(recorded["plan"]))
    (output,) = lineage.outputs
    assert output.conservative == ("FutureWindow",)
    targets = {e.target.name for e in output.edges}
    assert targets == {"name", "r"}


def test_missing_capture_facts_still_give_column_lineage_with_table_names() -> None:
    recorded = copy.deepcopy(
        CASES["join: inner join: values pass through, join keys are dataset-wide JOIN"]
    )
    recorded["plan"]["facts"] = {}
    lineage = extract_lineage(CapturedPlan.from_dict(recorded["plan"]))
    assert {i.dataset.name for i in lineage.inputs} == {"default.people", "default.depts"}
    assert lineage.outputs == () or lineage.warnings
    assert any("write target unknown" in w for w in lineage.warnings)


def test_an_empty_or_unreadable_plan_gives_warnings_not_exceptions() -> None:
    assert extract_lineage(CapturedPlan(nodes=())).warnings == ("empty plan",)
    junk = CapturedPlan(nodes=({"class": "x.Y", "num-children": 3},))
    assert extract_lineage(junk).outputs == ()


def test_a_two_thousand_step_projection_chain_does_not_recurse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "getrecursionlimit", sys.getrecursionlimit)
    steps = 2000
    nodes = []
    for step in range(steps, 0, -1):
        previous = 1 if step == 1 else 1000 + step - 1
        nodes.append(
            {
                "class": f"{PKG}.plans.logical.Project",
                "num-children": 1,
                "child": 0,
                "projectList": [
                    alias("x", 1000 + step, add(attr("x", previous), attr("b", 2))),
                    attr("b", 2),
                ],
            }
        )
    lineage = extract_lineage(captured(nodes, ["x", "b"], {"x": 1, "b": 2}))
    assert_column_lineage(
        lineage, [("src.x", "t.x", TR), ("src.b", "t.x", TR), ("src.b", "t.b", ID)]
    )


def test_a_thousand_term_sum_does_not_recurse() -> None:
    expression = attr("a", 1)
    for _ in range(1000):
        expression = add(expression, attr("b", 2))
    project = {
        "class": f"{PKG}.plans.logical.Project",
        "num-children": 1,
        "child": 0,
        "projectList": [alias("s", 10, expression)],
    }
    lineage = extract_lineage(captured([project], ["s"], {"a": 1, "b": 2}))
    assert_column_lineage(lineage, [("src.a", "t.s", TR), ("src.b", "t.s", TR)])
