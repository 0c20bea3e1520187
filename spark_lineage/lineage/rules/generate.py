"""``Generate`` (explode, posexplode, inline, LATERAL VIEW, json_tuple, stack): the generated
columns are TRANSFORMATION of the generator's arguments; the child's columns pass through."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.expressions import expressions_origins
from spark_lineage.lineage.origins import Subtype
from spark_lineage.lineage.rules._common import child, field_attrs, field_exprs
from spark_lineage.lineage.tree import PlanNode


def generate(node: PlanNode, ctx: LineageContext) -> NodeResult:
    below = child(node)
    generated = expressions_origins(field_exprs(node, "generator"), ctx, Subtype.IDENTITY)
    outputs = field_attrs(node, "generatorOutput")
    for attr in outputs:
        if attr.expr_id is not None:
            ctx.origins[attr.expr_id] = generated
    dropped = set(node.fields.get("unrequiredChildIndex") or ())
    kept = tuple(a for i, a in enumerate(below.output) if i not in dropped)
    return NodeResult(kept + tuple(Attr.of(a) for a in outputs), below.deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = ((frozenset({"Generate"}), generate),)
