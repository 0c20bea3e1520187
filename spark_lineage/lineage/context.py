"""The one small object every rule receives: resolved attributes, datasets, flags, and the resolver.

Rules read and extend :attr:`LineageContext.origins` (exprId -> source columns) and register the
datasets they read; they never walk the plan themselves: :meth:`LineageContext.resolve` walks it
once, post-order, and hands each node to the rule registered for its class.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from spark_lineage.lineage.origins import (
    EMPTY,
    IDENTITY,
    NO_DEPS,
    Deps,
    Origin,
    Origins,
    Subtype,
)
from spark_lineage.lineage.tree import Expr, PlanNode, build_plan, is_flat_tree
from spark_lineage.model import DatasetRef, JsonDict

log = logging.getLogger(__name__)
_LOGGED_CLASSES: set[str] = set()


@dataclass(frozen=True, slots=True)
class Attr:
    """One output column of a plan node: exprId, name and Spark type (as JSON)."""

    expr_id: int
    name: str
    data_type: Any = None

    @classmethod
    def of(cls, expr: Expr) -> Attr:
        """An attribute or alias; an alias takes the type of the first typed node below it."""
        data_type = expr.fields.get("dataType")
        current = expr
        while data_type is None and current.children:
            current = current.children[0]
            data_type = current.fields.get("dataType")
        # exprId 0 is a real id (the first attribute of a fresh JVM): test for None, not falsiness.
        return cls(-1 if expr.expr_id is None else expr.expr_id, expr.name, data_type)


@dataclass(frozen=True, slots=True)
class NodeResult:
    """What a resolved plan node offers its parent: ordered output columns and dataset deps.

    ``guessed``: the output is a guess, not the node's real columns -- an unknown node that
    declares no ``output`` offers every column it could pass on or define (see
    :mod:`.rules.conservative`), and a node passing all of such a guess through passes the guess
    on. Consumers that know the real columns (a write's target schema, a CTE reference's own
    output) pick them out by name (:func:`.rules._common.pick_by_name`) instead of trusting the
    positions or the count.
    """

    output: tuple[Attr, ...]
    deps: Deps = NO_DEPS
    guessed: bool = False


Rule = Callable[[PlanNode, "LineageContext"], NodeResult]


class LineageContext:
    """State of one extraction: resolved origins, datasets read, conservative flags, warnings."""

    def __init__(self, rules: Mapping[str, Rule], fallback: Rule, facts: Mapping[str, Any]):
        self._rules = rules
        self._fallback = fallback
        self.facts = facts
        self.relations: dict[int, JsonDict] = {
            int(r["expr_id"]): r for r in facts.get("relations") or () if "expr_id" in r
        }
        self.origins: dict[int, Origins] = {}
        self.datasets: list[DatasetRef] = []
        self._dataset_index: dict[str, int] = {}
        self.input_schemas: dict[int, dict[str, str]] = {}
        self.inputs: list[int] = []
        self.sources: list[tuple[int, str]] = []
        self._source_index: dict[tuple[int, str], int] = {}
        self.ctes: dict[int, NodeResult] = {}
        # recursive CTE loop id -> origins of the loop's columns known so far (by position)
        self.loops: dict[int, tuple[Origins, ...]] = {}
        # exprId of a struct built in the query -> field name -> origins of that field
        self.struct_fields: dict[int, dict[str, Origins]] = {}
        self.conservative: set[str] = set()
        # every input of the nodes answered conservatively: what an attribute that only such a
        # node can have made (its output is a guess) stands for
        self.unknown_inputs: set[Origin] = set()
        self.warnings: list[str] = []
        self._nested: dict[int, NodeResult] = {}

    # --- datasets and source columns -------------------------------------------------------

    def dataset(self, ref: DatasetRef) -> int:
        """Index of ``ref`` (registered on first sight; same key -> same index)."""
        index = self._dataset_index.get(ref.key)
        if index is None:
            index = len(self.datasets)
            self.datasets.append(ref)
            self._dataset_index[ref.key] = index
        return index

    def read(self, ref: DatasetRef, columns: Sequence[tuple[str, str]]) -> int:
        """Register ``ref`` as an input of the query with these columns (name, type)."""
        index = self.dataset(ref)
        if index not in self.input_schemas:
            self.input_schemas[index] = {}
            self.inputs.append(index)
        schema = self.input_schemas[index]
        for name, dtype in columns:
            schema.setdefault(name, dtype)
        return index

    def source(self, dataset: int, column: str) -> int:
        """Id of the source column ``column`` of dataset ``dataset``."""
        key = (dataset, column)
        index = self._source_index.get(key)
        if index is None:
            index = len(self.sources)
            self.sources.append(key)
            self._source_index[key] = index
        return index

    # --- attributes --------------------------------------------------------------------------

    def origins_of(self, expr_id: int) -> Origins:
        found = self.origins.get(expr_id)
        if found is None and self.unknown_inputs:
            return frozenset(self.unknown_inputs)  # made by an unknown node (flagged already)
        if found is None:
            self.warn(f"unresolved attribute #{expr_id}")
            return EMPTY
        return found

    def expr(self, expr: Expr, mode: Subtype = IDENTITY) -> Origins:
        """Origins of an expression's value (see :mod:`spark_lineage.lineage.expressions`)."""
        from spark_lineage.lineage.expressions import expression_origins

        return expression_origins(expr, self, mode)

    def exprs(self, exprs: Sequence[Expr], mode: Subtype) -> Origins:
        out: set[Any] = set()
        for expr in exprs:
            out.update(self.expr(expr, mode))
        return frozenset(out)

    # --- flags --------------------------------------------------------------------------------

    def flag_conservative(self, class_name: str) -> None:
        """Note a class answered conservatively; log it once per process."""
        self.conservative.add(class_name)
        if class_name not in _LOGGED_CLASSES:
            _LOGGED_CLASSES.add(class_name)
            log.warning("lineage: no rule for %s; answering conservatively", class_name)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < 100:
            self.warnings.append(message)

    # --- resolution ---------------------------------------------------------------------------

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
            node.result = _carry_guess(node, rule(node, self))
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

    def child_results(self, node: PlanNode) -> list[NodeResult]:
        return [child.result for child in node.children]


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
