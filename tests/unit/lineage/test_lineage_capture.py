"""``capture_plan`` without a JVM: stand-ins for the py4j objects check the contract's edges
(partial facts instead of exceptions, the documented facts shape). The real thing is covered by
tests/integration/test_lineage_live.py and by every recorded fixture."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spark_lineage.capture.plan import FACTS_SCHEMA_VERSION, capture_plan

PLAN = [{"class": "org.apache.spark.sql.catalyst.plans.logical.OneRowRelation", "num-children": 0}]


class Seq:
    """A Scala Seq as py4j shows it: size() and apply(i)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items

    def size(self) -> int:
        return len(self.items)

    def apply(self, index: int) -> Any:
        return self.items[index]


class Plan:
    def __init__(self, leaves: Any) -> None:
        self.leaves = leaves

    def toJSON(self) -> str:
        return json.dumps(PLAN)

    def nodeName(self) -> str:
        return "Project"

    def subqueriesAll(self) -> Seq:
        return Seq([])

    def innerChildren(self) -> Seq:
        return Seq([])

    def collectLeaves(self) -> Seq:
        if isinstance(self.leaves, Exception):
            raise self.leaves
        return Seq(self.leaves)


class QueryExecution:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def analyzed(self) -> Plan:
        return self.plan


class Leaf:
    def __init__(self, name: str) -> None:
        self.name = name

    def nodeName(self) -> str:
        return self.name

    def output(self) -> Any:
        raise RuntimeError("py4j.protocol.Py4JError: gateway went away\nmore")


def test_the_facts_follow_the_documented_shape() -> None:
    captured = capture_plan(QueryExecution(Plan([Leaf("OneRowRelation")])), "collect")
    assert captured.nodes == tuple(PLAN)
    assert captured.facts == {
        "schema": FACTS_SCHEMA_VERSION,
        "plan": "analyzed",
        "function_name": "collect",
        "relations": [],
        "write": None,
        "errors": [],
    }
    json.dumps(captured.to_dict())  # JSON-serialisable, as the spool and fixtures need


def test_a_failing_jvm_call_gives_partial_facts_and_an_error_note() -> None:
    captured = capture_plan(QueryExecution(Plan([Leaf("LogicalRelation")])), "command")
    assert captured.facts["relations"] == []
    (error,) = captured.facts["errors"]
    assert error.startswith("LogicalRelation: RuntimeError: py4j.protocol.Py4JError")
    assert "\n" not in error


def test_a_plan_whose_leaves_cannot_be_read_still_returns_the_plan() -> None:
    captured = capture_plan(QueryExecution(Plan(RuntimeError("boom"))), "command")
    assert captured.nodes == tuple(PLAN)
    assert captured.facts["errors"] == ["leaves: RuntimeError: boom"]


def test_a_plan_that_cannot_be_serialised_raises() -> None:
    class Broken(Plan):
        def toJSON(self) -> str:
            raise RuntimeError("toJSON failed")

    with pytest.raises(RuntimeError):
        capture_plan(QueryExecution(Broken([])), "command")
