"""Set operations. ``Union`` (UNION [ALL], unionByName, already aligned by position by the
analyzer): output column i is the union of column i of every child, under the first child's
exprIds. A branch whose output is a guess (an unknown node, see ``NodeResult.guessed``) has no
meaningful positions: every one of its sources feeds every output column (and when the first
branch is the guess, every branch's sources do). ``Intersect``/``Except``: values come from the
left; the right side only decides which rows survive, so its columns are dataset-wide FILTER
dependencies."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule, child_results
from spark_lineage.lineage.origins import Deps, Origin, Subtype, compose
from spark_lineage.lineage.rules._common import child, every_origin
from spark_lineage.lineage.tree import PlanNode


def union(node: PlanNode, ctx: LineageContext) -> NodeResult:
    children = child_results(node)
    if not children:
        return NodeResult(())
    first = children[0].output
    merged: list[set[Origin]] = [set() for _ in first]
    aligned = not children[0].guessed  # a guessed first branch leaves no position meaningful
    unaligned: list[Attr] = []
    for result in children:
        if aligned and not result.guessed:
            for index, attr in enumerate(result.output[: len(first)]):
                merged[index].update(ctx.origins_of(attr.expr_id))
        else:
            unaligned.extend(result.output)
    if unaligned:
        everywhere = every_origin(unaligned, ctx)
        for origins in merged:
            origins.update(everywhere)
    for attr, origins in zip(first, merged, strict=True):
        ctx.origins[attr.expr_id] = frozenset(origins)
        if len(children) > 1:
            # the first branch's struct fields no longer tell where a field of the union comes from
            ctx.struct_fields.pop(attr.expr_id, None)
    return NodeResult(first, Deps.of(frozenset(), tuple(r.deps for r in children)))


def intersect_or_except(node: PlanNode, ctx: LineageContext) -> NodeResult:
    left, right = child(node, 0), child(node, 1)
    steering: set[Origin] = set()
    for attr in right.output:
        steering.update(compose(ctx.origins_of(attr.expr_id), Subtype.FILTER, False))
    for attr in left.output:
        steering.update(compose(ctx.origins_of(attr.expr_id), Subtype.FILTER, False))
    return NodeResult(left.output, Deps.of(frozenset(steering), (left.deps, right.deps)))


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"Union"}), union),
    (frozenset({"Intersect", "Except"}), intersect_or_except),
)
