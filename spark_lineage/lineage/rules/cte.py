"""CTEs: ``WithCTE`` holds the definitions (children first) and the main query (last child);
every ``CTERelationRef`` maps its own exprIds, by position, onto its definition's output, so a CTE
referenced twice (a self-join on a CTE) resolves both references to the same sources.

Degraded cases, flagged conservative: a definition whose output is a guess (an unknown node at its
top) is matched by name instead of position; a reference to a definition no rule registered (an
unknown node in place of ``CTERelationDef``) gets every source column read so far -- under
``WithCTE`` the definitions are resolved before the query that references them, so that includes
the hidden definition's own inputs -- rather than no source at all."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.origins import Subtype
from spark_lineage.lineage.rules._common import child, every_origin, field_attrs, pick_by_name
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
        read_so_far = frozenset(
            (source, Subtype.TRANSFORMATION, False) for source in range(len(ctx.sources))
        )
        for attr in attrs:
            ctx.origins.setdefault(attr.expr_id, read_so_far)
        return NodeResult(tuple(attrs))
    if definition.guessed:
        everything = every_origin(definition.output, ctx)
        picked = pick_by_name(definition.output, [attr.name for attr in attrs])
        for attr, match in zip(attrs, picked, strict=True):
            if match is None:
                ctx.origins[attr.expr_id] = everything
            elif attr.expr_id != match.expr_id:
                ctx.origins[attr.expr_id] = ctx.origins_of(match.expr_id)
        return NodeResult(tuple(attrs), definition.deps)
    for attr, source in zip(attrs, definition.output, strict=False):
        if attr.expr_id != source.expr_id:
            ctx.origins[attr.expr_id] = ctx.origins_of(source.expr_id)
    return NodeResult(tuple(attrs), definition.deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"WithCTE"}), with_cte),
    (frozenset({"CTERelationDef"}), cte_definition),
    (frozenset({"CTERelationRef"}), cte_reference),
)
