"""Small helpers the rule modules share (no plan walking here: the context does that)."""

from __future__ import annotations

from collections.abc import Sequence

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult
from spark_lineage.lineage.expressions import expression_origins, struct_field_origins
from spark_lineage.lineage.origins import IDENTITY, Deps, Origin, Origins, Subtype, compose
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
    gets the origins of the expression it names, and, when it names a struct built in the query,
    the origins of each field (so that ``s.a`` downstream traces to ``a``'s value only).
    """
    out = []
    for expr in exprs:
        expr_id = expr.expr_id
        if expr_id is None:
            continue
        if expr.cls != "AttributeReference":
            ctx.origins[expr_id] = expression_origins(expr, ctx, IDENTITY)
            ctx.define(expr_id, expr)
            fields = struct_field_origins(expr, ctx)
            if fields is not None:
                ctx.struct_fields[expr_id] = fields
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


def pick_by_name(candidates: Sequence[Attr], names: Sequence[str]) -> list[Attr | None]:
    """For each of ``names`` in order, a candidate of that name not picked before (same spelling
    first, then ignoring case, as Spark resolves names), or None when no candidate has it.

    Used where a guessed output (:attr:`NodeResult.guessed`) meets a consumer that knows the real
    column names. Linear in the number of candidates and names (2,000-column plans exist).
    """
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for index, attr in enumerate(candidates):
        exact.setdefault(attr.name, []).append(index)
        folded.setdefault(attr.name.lower(), []).append(index)
    used: set[int] = set()
    picked: list[Attr | None] = []
    for name in names:
        found = _first_unused(exact.get(name, ()), used)
        if found is None:
            found = _first_unused(folded.get(name.lower(), ()), used)
        if found is None:
            picked.append(None)
        else:
            used.add(found)
            picked.append(candidates[found])
    return picked


def _first_unused(indexes: Sequence[int], used: set[int]) -> int | None:
    return next((index for index in indexes if index not in used), None)


def every_origin(attrs: Sequence[Attr], ctx: LineageContext) -> Origins:
    """Every source of every attribute, as TRANSFORMATION: the conservative answer for a column
    that is known to come from ``attrs`` but not from which of them."""
    found: set[Origin] = set()
    for attr in attrs:
        found.update(ctx.origins_of(attr.expr_id))
    return compose(frozenset(found), Subtype.TRANSFORMATION, False)
