"""Small helpers the rule modules share (no plan walking here: the context does that)."""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult
from spark_lineage.lineage.origins import IDENTITY, Deps, Origins
from spark_lineage.lineage.tree import Expr, PlanNode, attributes, expr_list


def child(node: PlanNode, index: int = 0) -> NodeResult:
    """The resolved result of one child (an empty result for a malformed node)."""
    if index < len(node.children) and node.children[index].result is not None:
        result: NodeResult = node.children[index].result
        return result
    return NodeResult(())


def named_outputs(exprs: list[Expr], ctx: LineageContext) -> tuple[Attr, ...]:
    """Resolve a list of named expressions (``projectList``...) into output attributes.

    An attribute passed through keeps its exprId, so its origins are already known; an alias
    gets the origins of the expression it names.
    """
    out = []
    for expr in exprs:
        expr_id = expr.expr_id
        if expr_id is None:
            continue
        if expr.cls != "AttributeReference":
            ctx.origins[expr_id] = ctx.expr(expr, IDENTITY)
        elif expr_id not in ctx.origins:
            ctx.origins[expr_id] = ctx.origins_of(expr_id)  # warns: produced by nothing we saw
        out.append(Attr.of(expr))
    return tuple(out)


def field_exprs(node: PlanNode, field: str) -> list[Expr]:
    return expr_list(node.fields.get(field))


def field_attrs(node: PlanNode, field: str) -> list[Expr]:
    return attributes(node.fields.get(field))


def with_deps(result: NodeResult, own: Origins, *parents: Deps) -> NodeResult:
    return NodeResult(result.output, Deps.of(own, parents or (result.deps,)))
