"""CTEs: ``WithCTE`` holds the definitions (children first) and the main query (last child);
every ``CTERelationRef`` maps its own exprIds, by position, onto its definition's output, so a CTE
referenced twice (a self-join on a CTE) resolves both references to the same sources."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.rules._common import child, field_attrs
from spark_lineage.lineage.tree import PlanNode


def with_cte(node: PlanNode, ctx: LineageContext) -> NodeResult:
    plan_index = node.fields.get("plan")
    index = plan_index if isinstance(plan_index, int) else len(node.children) - 1
    return child(node, index)


def cte_definition(node: PlanNode, ctx: LineageContext) -> NodeResult:
    result = child(node)
    ctx.ctes[int(node.fields.get("id", -1))] = result
    return result


def cte_reference(node: PlanNode, ctx: LineageContext) -> NodeResult:
    attrs = [Attr.of(a) for a in field_attrs(node, "output")]
    definition = ctx.ctes.get(int(node.fields.get("cteId", -1)))
    if definition is None:
        ctx.flag_conservative("CTERelationRef(undefined)")
        for attr in attrs:
            ctx.origins.setdefault(attr.expr_id, frozenset())
        return NodeResult(tuple(attrs))
    for attr, source in zip(attrs, definition.output, strict=False):
        if attr.expr_id != source.expr_id:
            ctx.origins[attr.expr_id] = ctx.origins_of(source.expr_id)
    return NodeResult(tuple(attrs), definition.deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"WithCTE"}), with_cte),
    (frozenset({"CTERelationDef"}), cte_definition),
    (frozenset({"CTERelationRef"}), cte_reference),
)
