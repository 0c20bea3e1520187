"""How each input attribute takes part in an expression's value.

The walk starts in a *mode* (IDENTITY for a projected value, FILTER for a WHERE condition...) and
changes it on the way down: any function makes its arguments TRANSFORMATION, an aggregate makes
them AGGREGATION, a CASE/IF condition makes it CONDITIONAL, a window's partition/order keys make
them WINDOW, a hash or mask sets ``masked``. Anything not listed here is treated as a function of
all its children, which is the right (and conservative) answer for an unknown expression.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from spark_lineage.lineage.context import LineageContext
from spark_lineage.lineage.origins import (
    AGGREGATION,
    EMPTY,
    IDENTITY,
    TRANSFORMATION,
    Origin,
    Origins,
    Subtype,
    compose,
    escalate,
)
from spark_lineage.lineage.tree import Expr, build_expr, is_flat_tree

CONDITIONAL = Subtype.CONDITIONAL
WINDOW = Subtype.WINDOW

# Value passes through unchanged.
PASS_THROUGH = frozenset(
    {"Alias", "KnownNotNull", "KnownNullable", "KnownFloatingPointNormalized", "SortOrder"}
)
# A PII value does not survive these in clear.
MASKING = frozenset(
    {
        "Sha1",
        "Sha2",
        "Md5",
        "XxHash64",
        "Murmur3Hash",
        "HiveHash",
        "Crc32",
        "Mask",
        "Count",
        "HyperLogLogPlusPlus",
        "BloomFilterAggregate",
    }
)
RANK_LIKE = frozenset({"Rank", "DenseRank", "PercentRank", "CumeDist", "RowNumber", "NTile"})
SUBQUERIES = frozenset({"ScalarSubquery", "ListQuery", "Exists", "LateralSubquery"})
# Expressions whose exprIds are not plan attributes (lambda variables, bound references).
LOCAL_NAMES = frozenset({"NamedLambdaVariable", "LambdaVariable", "BoundReference"})


def expression_origins(root: Expr, ctx: LineageContext, mode: Subtype = IDENTITY) -> Origins:
    """Source columns of ``root``'s value, each with its subtype and masking (iterative walk)."""
    out: set[Origin] = set()
    # (expression, mode, masked, common-expression definitions in scope for ``With``)
    stack: list[tuple[Expr, Subtype, bool, tuple[Expr, ...]]] = [(root, mode, False, ())]
    while stack:
        expr, current, masked, defs = stack.pop()
        cls = expr.cls
        if cls == "AttributeReference":
            expr_id = expr.expr_id
            if expr_id is not None:
                out.update(compose(ctx.origins_of(expr_id), current, masked))
            continue
        if cls in LOCAL_NAMES or cls == "Literal":
            continue
        if cls == "With" and expr.children:
            # NULLIF/NVL... share a sub-expression: refs print no id, so a ref stands for the
            # union of the definitions in scope (exact for the usual single definition).
            inner = tuple(d.children[0] for d in expr.children[1:] if d.children)
            stack.append((expr.children[0], current, masked, defs + inner))
            continue
        if cls == "CommonExpressionRef":
            stack.extend((d, current, masked, ()) for d in defs)
            continue
        if cls == "OuterReference":
            stack.extend((e, current, masked, defs) for e in _nested_exprs(expr, "e"))
            continue
        if cls == "GetStructField":
            field = _built_field(expr, ctx)
            if isinstance(field, Expr):
                stack.append((field, current, masked, defs))
                continue
            if field is not None:
                out.update(compose(field, current, masked))
                continue
            if _nested_path(expr, ctx, current, masked, out):
                continue
        if cls in SUBQUERIES:
            out.update(_subquery(expr, ctx, current, masked))
            stack.extend((child, current, masked, defs) for child in expr.children)
            continue
        stack.extend((c, m, k, defs) for c, m, k in _children_modes(expr, current, masked))
    return frozenset(out)


def expressions_origins(exprs: Sequence[Expr], ctx: LineageContext, mode: Subtype) -> Origins:
    """Origins of every expression of ``exprs``, together (a condition list, grouping keys)."""
    out: set[Origin] = set()
    for expr in exprs:
        out.update(expression_origins(expr, ctx, mode))
    return frozenset(out)


def _children_modes(expr: Expr, mode: Subtype, masked: bool) -> list[tuple[Expr, Subtype, bool]]:
    """The mode each child of ``expr`` is walked in."""
    cls = expr.cls
    children = expr.children
    if cls in PASS_THROUGH:
        return [(c, mode, masked) for c in children]
    if cls == "Cast" and _same_type_cast(expr):
        return [(c, mode, masked) for c in children]
    if cls == "CaseWhen":
        conditions = 2 * len(expr.fields.get("branches") or ())
        return [
            (
                c,
                escalate(mode, CONDITIONAL if i < conditions and i % 2 == 0 else TRANSFORMATION),
                masked,
            )
            for i, c in enumerate(children)
        ]
    if cls in ("If", "NullIfResult"):
        # NullIfResult(predicate, value): NULLIF(a, b) as Spark 4.3 rewrites it, inside a With
        # that names ``a`` once (older lines rewrite NULLIF to an If).
        return [
            (c, escalate(mode, CONDITIONAL if i == 0 else TRANSFORMATION), masked)
            for i, c in enumerate(children)
        ]
    if cls == "AggregateExpression":
        return [
            (c, escalate(mode, AGGREGATION if i == 0 else CONDITIONAL), masked)
            for i, c in enumerate(children)
        ]
    if cls == "WindowExpression":
        return [
            (c, mode if i == 0 else escalate(mode, WINDOW), masked) for i, c in enumerate(children)
        ]
    if cls == "WindowSpecDefinition" or cls in RANK_LIKE:
        return [(c, escalate(mode, WINDOW), masked) for c in children]
    if cls in MASKING:
        return [(c, escalate(mode, TRANSFORMATION), True) for c in children]
    below = escalate(mode, TRANSFORMATION)
    return [(c, below, masked) for c in children]


def _same_type_cast(expr: Expr) -> bool:
    """A cast to the type its input already has (views add them) changes nothing."""
    if len(expr.children) != 1 or expr.children[0].cls != "AttributeReference":
        return False
    target = expr.fields.get("dataType")
    source = expr.children[0].fields.get("dataType")
    return target is not None and json.dumps(target) == json.dumps(source)


def _nested_exprs(expr: Expr, field: str) -> list[Expr]:
    value: Any = expr.fields.get(field)
    return [build_expr(value)] if is_flat_tree(value) else []


def _nested_path(
    expr: Expr, ctx: LineageContext, mode: Subtype, masked: bool, out: set[Origin]
) -> bool:
    """``addr.city`` on a column read as-is: the source is the nested column ``addr.city``.

    Returns False (walk it as a function instead) unless the struct resolves to exactly one
    unmasked IDENTITY source.
    """
    path: list[str] = []
    current = expr
    while current.cls == "GetStructField" and current.children:
        name = _field_name(current)
        if name is None:
            return False
        path.append(name)
        current = current.children[0]
    if current.cls != "AttributeReference" or current.expr_id is None:
        return False
    origins = ctx.origins.get(current.expr_id)
    if not origins or len(origins) != 1:
        return False
    ((source, subtype, was_masked),) = origins
    if subtype is not IDENTITY or was_masked:
        return False
    dataset, column = ctx.sources[source]
    nested = ctx.source(dataset, ".".join([column, *reversed(path)]))
    out.update(compose(frozenset({(nested, IDENTITY, False)}), mode, masked))
    return True


def _built_field(expr: Expr, ctx: LineageContext) -> Expr | Origins | None:
    """A field of a struct the query builds itself (``named_struct('a', x, 'b', y).a``, or ``s.a``
    where ``s`` is such a struct): the field's value expression, or the origins recorded for it
    (:func:`struct_field_origins`); None for any other struct."""
    struct = expr.children[0] if expr.children else None
    if struct is None:
        return None
    if struct.cls == "CreateNamedStruct":
        ordinal = expr.fields.get("ordinal")
        values = struct.children[1::2]
        return values[ordinal] if isinstance(ordinal, int) and 0 <= ordinal < len(values) else None
    if struct.cls == "AttributeReference" and struct.expr_id is not None:
        fields = ctx.struct_fields.get(struct.expr_id)
        name = _field_name(expr)
        if fields is not None and name is not None and name in fields:
            return fields[name]
    return None


def struct_field_origins(expr: Expr, ctx: LineageContext) -> dict[str, Origins] | None:
    """Per field, the origins of a named expression that builds a struct (``named_struct`` /
    ``struct(...)`` under an alias, or an alias of such a struct); None for anything else."""
    value = expr.children[0] if expr.cls == "Alias" and expr.children else None
    while value is not None and value.cls in PASS_THROUGH and value.children:
        value = value.children[0]
    if value is None:
        return None
    if value.cls == "AttributeReference" and value.expr_id is not None:
        return ctx.struct_fields.get(value.expr_id)
    if value.cls != "CreateNamedStruct":
        return None
    children = value.children
    fields: dict[str, Origins] = {}
    for name, field_value in zip(children[0::2], children[1::2], strict=False):
        label = name.fields.get("value") if name.cls == "Literal" else None
        if isinstance(label, str):
            fields[label] = expression_origins(field_value, ctx)
    return fields


def _field_name(expr: Expr) -> str | None:
    name = expr.fields.get("name")
    if isinstance(name, str) and name:
        return name
    child = expr.children[0] if expr.children else None
    data_type: Any = child.fields.get("dataType") if child is not None else None
    ordinal = expr.fields.get("ordinal")
    if isinstance(data_type, dict) and isinstance(ordinal, int):
        fields = data_type.get("fields") or []
        if 0 <= ordinal < len(fields):
            return str(fields[ordinal].get("name"))
    return None


def _subquery(expr: Expr, ctx: LineageContext, mode: Subtype, masked: bool) -> Origins:
    """A subquery's value: its output columns, plus whatever steers its rows (its own filters)."""
    plan = expr.fields.get("plan")
    if not is_flat_tree(plan):
        return EMPTY
    result = ctx.plans.resolve_nested(plan)
    out: set[Origin] = set()
    below = mode if expr.cls == "ScalarSubquery" else escalate(mode, TRANSFORMATION)
    if expr.cls != "Exists":
        for attr in result.output:
            out.update(compose(ctx.origins_of(attr.expr_id), below, masked))
    deps = frozenset(result.deps.flatten())
    out.update(compose(deps, mode, masked) if mode.type.value == "INDIRECT" else deps)
    return frozenset(out)
