"""Set operations. ``Union`` (UNION [ALL], unionByName, already aligned by position by the
analyzer): output column i is the union of column i of every child, under the first child's
exprIds. ``Intersect``/``Except``: values come from the left; the right side only decides which
rows survive, so its columns are dataset-wide FILTER dependencies."""

from __future__ import annotations

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.origins import Deps, Origin, Subtype, compose
from spark_lineage.lineage.rules._common import child
from spark_lineage.lineage.tree import PlanNode


def union(node: PlanNode, ctx: LineageContext) -> NodeResult:
    children = ctx.child_results(node)
    if not children:
        return NodeResult(())
    first = children[0].output
    merged: list[set[Origin]] = [set() for _ in first]
    for result in children:
        for index, attr in enumerate(result.output[: len(first)]):
            merged[index].update(ctx.origins_of(attr.expr_id))
    for attr, origins in zip(first, merged, strict=True):
        ctx.origins[attr.expr_id] = frozenset(origins)
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
