"""The state of one extraction, which every rule receives: resolved attributes, datasets, flags.

Rules read and extend :attr:`LineageContext.origins` (exprId -> source columns) and register the
datasets they read; they never walk the plan themselves: :class:`~.resolve.PlanResolver` walks
it once, post-order, and hands each node to the rule registered for its class. Plans held inside
a node's fields are resolved through :attr:`LineageContext.plans`. Nothing here imports the
expression or rule modules: they import it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from spark_lineage.lineage.fingerprint import expression_digest
from spark_lineage.lineage.origins import (
    EMPTY,
    NO_DEPS,
    Deps,
    Origin,
    Origins,
)
from spark_lineage.lineage.tree import Expr, PlanNode
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
        """An attribute or alias; an alias takes the type of the first typed node below it, a
        guess where a function changes the type (``sha2`` of a binary cast): the columns a write
        records take Spark's resolved types instead (:func:`.rules.writes._resolved_types`)."""
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


class NestedPlans(Protocol):
    """Resolving plans a rule meets inside a node (implemented by :mod:`.resolve`)."""

    def resolve_nested(self, flat: Any) -> NodeResult:
        """A plan held in a field (a subquery's, a command's query), resolved once per object."""
        ...

    def resolve_again(self, root: PlanNode) -> NodeResult:
        """``root`` resolved anew, its earlier results forgotten."""
        ...


class LineageContext:
    """State of one extraction: resolved origins, datasets read, conservative flags, warnings."""

    def __init__(self, facts: Mapping[str, Any], plans: NestedPlans):
        self.facts = facts
        #: resolves the plans held in fields (subqueries, a command's query, a CTE's loop step)
        self.plans = plans
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
        # exprId -> digest of the expression that defines it, and written column -> digests of
        # the expressions that computed it in this write (see :mod:`.fingerprint`)
        self.definitions: dict[int, str] = {}
        self.written_expressions: dict[str, set[str]] = {}

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

    # --- how columns are computed (fingerprints) ----------------------------------------------

    def define(self, expr_id: int, expr: Expr) -> None:
        """Remember how ``expr`` (an alias, an aggregate...) computes attribute ``expr_id``."""
        self.definitions[expr_id] = expression_digest(expr, self.definitions)

    def note_written(self, name: str, expr_id: int | None = None, expr: Expr | None = None) -> None:
        """The written column ``name`` takes attribute ``expr_id`` and/or the value of ``expr``."""
        digests = self.written_expressions.setdefault(name, set())
        if expr_id is not None and expr_id in self.definitions:
            digests.add(self.definitions[expr_id])
        if expr is not None:
            digests.add(expression_digest(expr, self.definitions))

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


def child_results(node: PlanNode) -> list[NodeResult]:
    """The results of a node's children, in order (resolved before the node itself)."""
    return [child.result for child in node.children]
