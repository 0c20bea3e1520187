"""``Join``: columns pass through from both sides (left only for semi/anti joins); the join
condition's columns become dataset-wide JOIN dependencies, and both sides' own filters stay."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.expressions import expressions_origins
from spark_lineage.lineage.origins import Deps, Subtype
from spark_lineage.lineage.rules._common import child, field_exprs
from spark_lineage.lineage.tree import PlanNode

_LEFT_ONLY = ("LeftSemi", "LeftAnti", "ExistenceJoin")


def join(node: PlanNode, ctx: LineageContext) -> NodeResult:
    left, right = child(node, 0), child(node, 1)
    join_type = str((node.fields.get("joinType") or {}).get("object", ""))
    output = left.output if join_type.startswith(_LEFT_ONLY) else left.output + right.output
    own = expressions_origins(field_exprs(node, "condition"), ctx, Subtype.JOIN)
    return NodeResult(output, Deps.of(own, (left.deps, right.deps)))


def lateral_join(node: PlanNode, ctx: LineageContext) -> NodeResult:
    """``LateralJoin``: the right side is a subquery plan held in an expression field."""
    left = child(node, 0)
    right_exprs = field_exprs(node, "right")
    right_output: tuple[Attr, ...] = ()
    right_deps: list[Deps] = []
    for expr in right_exprs:
        plan = expr.fields.get("plan")
        result = ctx.plans.resolve_nested(plan)
        right_output = right_output + result.output
        right_deps.append(result.deps)
    own = expressions_origins(field_exprs(node, "condition"), ctx, Subtype.JOIN)
    return NodeResult(left.output + right_output, Deps.of(own, (left.deps, *right_deps)))


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"Join"}), join),
    (frozenset({"LateralJoin"}), lateral_join),
)
