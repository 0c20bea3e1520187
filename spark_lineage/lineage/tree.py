"""Plan and expression trees rebuilt from ``LogicalPlan.toJSON()`` (pure Python).

Spark serialises a tree as a pre-order flat list; every node carries ``class`` and
``num-children`` and its children follow it. Expression-valued fields hold the same kind of flat
list (one list per expression; a list of lists for a ``Seq[Expression]``), and plan-valued fields
that are not children (a command's ``query``, a subquery's ``plan``) hold a nested flat plan list.
Trees are rebuilt iteratively, so that very deep plans (a 500-step ``withColumn`` chain, a
1,000-term sum) never hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from spark_lineage.model import JsonDict


def short_class(node: JsonDict) -> str:
    """``org.apache.spark.sql.catalyst.plans.logical.Project`` -> ``Project``."""
    return str(node.get("class", "")).rsplit(".", 1)[-1]


class PlanNode:
    """One logical plan node: its JSON fields, its children and (once resolved) its result."""

    __slots__ = ("children", "cls", "fields", "result")

    def __init__(self, fields: JsonDict) -> None:
        self.fields = fields
        self.cls = short_class(fields)
        self.children: list[PlanNode] = []
        self.result: Any = None

    def __repr__(self) -> str:
        return f"PlanNode({self.cls}, children={len(self.children)})"


class Expr:
    """One expression node: its JSON fields and its children (in Spark's ``children`` order)."""

    __slots__ = ("children", "cls", "fields")

    def __init__(self, fields: JsonDict) -> None:
        self.fields = fields
        self.cls = short_class(fields)
        self.children: list[Expr] = []

    @property
    def expr_id(self) -> int | None:
        """The ``exprId`` of a named expression (attribute, alias), else None."""
        expr_id = self.fields.get("exprId")
        return int(expr_id["id"]) if isinstance(expr_id, dict) and "id" in expr_id else None

    @property
    def name(self) -> str:
        return str(self.fields.get("name", ""))

    def walk(self) -> Iterator[Expr]:
        """Every node of this expression, pre-order, iteratively."""
        stack = [self]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(current.children))


def _build(flat: Sequence[JsonDict], factory: type[Any]) -> Any:
    """Rebuild a tree from Spark's pre-order flat list (iterative)."""
    if not flat:
        raise ValueError("empty tree")
    root = factory(flat[0])
    # stack of (node, children still expected)
    stack: list[tuple[Any, int]] = [(root, int(flat[0].get("num-children", 0)))]
    for item in flat[1:]:
        while stack and stack[-1][1] == 0:
            stack.pop()
        if not stack:
            break
        parent, remaining = stack[-1]
        stack[-1] = (parent, remaining - 1)
        node = factory(item)
        parent.children.append(node)
        stack.append((node, int(item.get("num-children", 0))))
    return root


def build_plan(flat: Sequence[JsonDict]) -> PlanNode:
    node: PlanNode = _build(flat, PlanNode)
    return node


def build_expr(flat: Sequence[JsonDict]) -> Expr:
    node: Expr = _build(flat, Expr)
    return node


def is_flat_tree(value: Any) -> bool:
    """True for a JSON value that is one serialised tree (a non-empty list of class dicts)."""
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], dict)
        and "class" in value[0]
    )


def expr_list(value: Any) -> list[Expr]:
    """An expression field as a list: ``Seq[Expression]`` or a single (optional) expression."""
    if is_flat_tree(value):
        return [build_expr(value)]
    if isinstance(value, list):
        return [build_expr(item) for item in value if is_flat_tree(item)]
    return []


def attributes(value: Any) -> list[Expr]:
    """A ``Seq[Attribute]`` field (``output``, ``generatorOutput``...) as attribute nodes."""
    return [expr for expr in expr_list(value) if expr.expr_id is not None]
