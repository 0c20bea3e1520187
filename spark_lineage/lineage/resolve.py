"""Resolving a plan: every node once, children first, by the rule registered for its class.

:class:`PlanResolver` walks the tree iteratively (no recursion limit on deep plans) and owns the
one :class:`~.context.LineageContext` of an extraction, which reaches back to it only for the
plans that rules meet inside a node (:class:`~.context.NestedPlans`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.tree import PlanNode, build_plan, is_flat_tree

__all__ = ["PlanResolver"]


class PlanResolver:
    """Resolves the plans of one extraction with ``rules`` (class name -> rule) and ``fallback``."""

    def __init__(self, rules: Mapping[str, Rule], fallback: Rule, facts: Mapping[str, Any]):
        self._rules = rules
        self._fallback = fallback
        self._nested: dict[int, NodeResult] = {}
        self.ctx = LineageContext(facts, self)

    def resolve(self, root: PlanNode) -> NodeResult:
        """Resolve every node under ``root`` once, children first (iterative post-order)."""
        stack: list[tuple[PlanNode, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if node.result is not None:
                continue
            if not expanded:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
                continue
            rule = self._rules.get(node.cls, self._fallback)
            node.result = _carry_guess(node, rule(node, self.ctx))
        result: NodeResult = root.result
        return result

    def resolve_nested(self, flat: Any) -> NodeResult:
        """Resolve a plan held in a field (subquery plan, command query), once per object."""
        cached = self._nested.get(id(flat))
        if cached is not None:
            return cached
        result = self.resolve(build_plan(flat)) if is_flat_tree(flat) else NodeResult(())
        self._nested[id(flat)] = result
        return result

    def resolve_again(self, root: PlanNode) -> NodeResult:
        """Forget the results under ``root`` and resolve it anew (a recursive CTE's step, after
        what its loop reference stands for has grown)."""
        stack = [root]
        while stack:
            node = stack.pop()
            node.result = None
            stack.extend(node.children)
        return self.resolve(root)


def _carry_guess(node: PlanNode, result: NodeResult) -> NodeResult:
    """Mark ``result`` guessed when it passes on every column of a guessed child (a Filter, Sort,
    Join, Window or Union over an unknown node): its output is then just as uncertain. A node
    that names its columns itself (a Project picking some of them) is not a guess."""
    if result.guessed:
        return result
    own: set[int] | None = None
    for child_node in node.children:
        below = child_node.result
        if not isinstance(below, NodeResult) or not below.guessed or not below.output:
            continue
        if own is None:
            own = {attr.expr_id for attr in result.output}
        if all(attr.expr_id in own for attr in below.output):
            return replace(result, guessed=True)
    return result
