"""``Aggregate`` (GROUP BY, DISTINCT aggregates, HAVING sits above as a Filter) and ``Expand``
(GROUPING SETS / ROLLUP / CUBE). Grouping keys are dataset-wide GROUP_BY dependencies; aggregate
function arguments are AGGREGATION (``count`` also masks); PIVOT arrives already rewritten into
these by the analyzer."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.expressions import expressions_origins
from spark_lineage.lineage.origins import Deps, Subtype
from spark_lineage.lineage.rules._common import child, field_attrs, field_exprs, named_outputs
from spark_lineage.lineage.tree import PlanNode, expr_list


def aggregate(node: PlanNode, ctx: LineageContext) -> NodeResult:
    keys = expressions_origins(field_exprs(node, "groupingExpressions"), ctx, Subtype.GROUP_BY)
    output = named_outputs(field_exprs(node, "aggregateExpressions"), ctx)
    return NodeResult(output, Deps.of(keys, (child(node).deps,)))


def expand(node: PlanNode, ctx: LineageContext) -> NodeResult:
    """Output column i is the union of column i of every projection."""
    outputs = field_attrs(node, "output")
    projections = [expr_list(p) for p in node.fields.get("projections") or ()]
    resolved = []
    for index, attr in enumerate(outputs):
        sources = [p[index] for p in projections if index < len(p)]
        resolved.append((attr, expressions_origins(sources, ctx, Subtype.IDENTITY)))
    for attr, origins in resolved:
        if attr.expr_id is not None:
            ctx.origins[attr.expr_id] = origins
    return NodeResult(tuple(Attr.of(a) for a in outputs), child(node).deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"Aggregate"}), aggregate),
    (frozenset({"Expand"}), expand),
)
