"""CTEs: ``WithCTE`` holds the definitions (children first) and the main query (last child);
every ``CTERelationRef`` maps its own exprIds, by position, onto its definition's output, so a CTE
referenced twice (a self-join on a CTE) resolves both references to the same sources.

Degraded cases, flagged conservative: a definition whose output is a guess (an unknown node at its
top) is matched by name instead of position; a reference to a definition no rule registered (an
unknown node in place of ``CTERelationDef``) gets every source column read so far -- under
``WithCTE`` the definitions are resolved before the query that references them, so that includes
the hidden definition's own inputs -- rather than no source at all.

Recursive CTEs (``WITH RECURSIVE``): the definition holds a ``UnionLoop`` of an anchor and a
recursive step that reads the loop's own rows through ``UnionLoopRef``. Column i of the loop is
the union of column i of the anchor and of the step; the step is resolved again, with the
reference standing for everything the loop gives so far, until nothing new appears (a fixed point,
reached after a few rounds since origins only grow)."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.origins import EMPTY, Deps, Origins, Subtype
from spark_lineage.lineage.rules._common import child, every_origin, field_attrs, pick_by_name
from spark_lineage.lineage.tree import PlanNode, attributes


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


def union_loop(node: PlanNode, ctx: LineageContext) -> NodeResult:
    anchor = child(node, 0)
    loop_id = int(node.fields.get("id", -1))
    ids = [
        int(i["id"])
        for i in node.fields.get("outputAttrIds") or ()
        if isinstance(i, dict) and isinstance(i.get("id"), int)
    ]
    current = tuple(ctx.origins_of(attr.expr_id) for attr in anchor.output)
    step = child(node, 1)
    # Each round adds at least one origin to some column, or stops: bounded by the sources seen.
    for _ in range(len(ctx.sources) * max(len(current), 1) + 2):
        ctx.loops[loop_id] = current
        if len(node.children) < 2:
            break
        step = ctx.plans.resolve_again(node.children[1])
        grown = tuple(
            origins | _column_origins(step.output, index, ctx)
            for index, origins in enumerate(current)
        )
        if grown == current:
            break
        current = grown
    outputs = []
    for index, attr in enumerate(anchor.output):
        expr_id = ids[index] if index < len(ids) else attr.expr_id
        ctx.origins[expr_id] = current[index]
        outputs.append(Attr(expr_id, attr.name, attr.data_type))
    return NodeResult(tuple(outputs), Deps.of(frozenset(), (anchor.deps, step.deps)))


def _column_origins(output: tuple[Attr, ...], index: int, ctx: LineageContext) -> Origins:
    return ctx.origins_of(output[index].expr_id) if index < len(output) else EMPTY


def union_loop_reference(node: PlanNode, ctx: LineageContext) -> NodeResult:
    """The loop's rows as known so far (nothing before the loop's first round)."""
    known = ctx.loops.get(int(node.fields.get("loopId", -1)), ())
    attrs = [Attr.of(a) for a in attributes(node.fields.get("output"))]
    for index, attr in enumerate(attrs):
        ctx.origins[attr.expr_id] = known[index] if index < len(known) else EMPTY
    return NodeResult(tuple(attrs))


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"WithCTE"}), with_cte),
    (frozenset({"CTERelationDef"}), cte_definition),
    (frozenset({"CTERelationRef"}), cte_reference),
    (frozenset({"UnionLoop"}), union_loop),
    (frozenset({"UnionLoopRef"}), union_loop_reference),
)
