"""``Window``: the child's columns pass through; each window column is its function (arguments
DIRECT, aggregates AGGREGATION) plus its partition and order keys as column-level WINDOW."""

from __future__ import annotations

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.rules._common import child, field_exprs, named_outputs
from spark_lineage.lineage.tree import PlanNode


def window(node: PlanNode, ctx: LineageContext) -> NodeResult:
    below = child(node)
    functions = named_outputs(field_exprs(node, "windowExpressions"), ctx)
    return NodeResult(below.output + functions, below.deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"Window", "WindowGroupLimit"}), window),
)
