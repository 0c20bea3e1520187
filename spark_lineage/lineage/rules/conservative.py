"""The fallback for plan nodes no rule knows: every input of the node feeds every output.

Outputs are the node's ``output`` field when it prints one. Otherwise the real columns are
unknown and the result is a *guess* (``NodeResult.guessed``): every named expression the node's
fields define (the roots of its expression lists: a projection's or aggregation's columns come
first, in their order), then every column of its children. A consumer that knows the real columns
picks them out of the guess by name: a write takes its target schema (so an unknown node under a
write does not add phantom or duplicate columns), a CTE reference its own output. The class is
flagged (``OutputDataset.conservative``) and logged once, so an unknown node is never silent and
never a crash.

Subqueries in the node's expressions (a SQL function's body) count as inputs. An attribute that no
known node made, in a plan where a node was answered conservatively, is taken to be one the
unknown node made under an id it does not print (a ``UnionLoop``'s ``outputAttrIds``): it stands
for every input of the unknown nodes. Struct fields tracked through the node are forgotten.
"""

from __future__ import annotations

from typing import Any

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, child_results
from spark_lineage.lineage.expressions import SUBQUERIES, expression_origins
from spark_lineage.lineage.origins import Deps, Origin, Subtype, compose
from spark_lineage.lineage.tree import PlanNode, attributes, expr_list, is_flat_tree


def conservative(node: PlanNode, ctx: LineageContext) -> NodeResult:
    ctx.flag_conservative(node.cls)
    inputs: set[Origin] = set()
    deps = []
    passed: dict[int, Attr] = {}
    for result in child_results(node):
        deps.append(result.deps)
        for attr in result.output:
            inputs.update(ctx.origins_of(attr.expr_id))
            passed.setdefault(attr.expr_id, attr)
    defined = _expressions(node)
    for expr in defined:
        for sub in expr.walk():
            expr_id = sub.expr_id
            if sub.cls == "AttributeReference" and expr_id is not None and expr_id in ctx.origins:
                inputs.update(ctx.origins[expr_id])
            elif sub.cls in SUBQUERIES:  # a subquery's plan (a SQL function's body) is read too
                inputs.update(expression_origins(sub, ctx, Subtype.TRANSFORMATION))
    everything = compose(frozenset(inputs), Subtype.TRANSFORMATION, False)
    ctx.unknown_inputs.update(everything)
    declared = attributes(node.fields.get("output"))
    if declared:
        outputs = {a.expr_id: Attr.of(a) for a in declared if a.expr_id is not None}
    else:
        named = {
            expr.expr_id: Attr.of(expr)
            for expr in defined
            if expr.cls in ("Alias", "AttributeReference") and expr.expr_id is not None
        }
        outputs = {**named, **{k: v for k, v in passed.items() if k not in named}}
    for expr_id in outputs:
        ctx.origins[expr_id] = everything
        ctx.struct_fields.pop(expr_id, None)  # a field may now come from anywhere
    return NodeResult(
        tuple(outputs.values()), Deps.of(frozenset(), tuple(deps)), guessed=not declared
    )


def _expressions(node: PlanNode) -> list[Any]:
    """Every expression held in the node's fields (children indexes and nested plans skipped)."""
    found = []
    for key, value in node.fields.items():
        if key in ("class", "num-children") or not isinstance(value, list):
            continue
        if is_flat_tree(value) and "plans.logical" in str(value[0].get("class", "")):
            continue
        found.extend(expr_list(value))
    return found
