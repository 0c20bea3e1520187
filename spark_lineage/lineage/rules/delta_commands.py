"""Delta ``UPDATE``, ``DELETE`` and ``MERGE``: column lineage of a table rewritten in place.

The commands read their target (a plan nested in the ``target`` field) and write it back:

- ``UpdateCommand``: ``updateExpressions`` holds one expression per target column, in the
  target's column order; an unchanged column is its own attribute. A changed column takes its
  value from its expression (DIRECT) and, when there is a ``WHERE``, keeps its old value in the
  rows the condition does not select (IDENTITY from the target column) and is steered by the
  condition's columns (INDIRECT/CONDITIONAL). An unchanged column keeps the target column as
  its only source. No dataset-wide dependency: an UPDATE removes no row.
- ``DeleteCommand``: every column keeps the target column as its source (IDENTITY); the
  ``WHERE`` decides which rows survive, so its columns are a dataset-wide FILTER dependency.
- ``MergeIntoCommand``: every target column keeps the target column as a source (rows no clause
  changes keep their values); each update/insert action adds its expression's origins (DIRECT),
  plus its clause condition (INDIRECT/CONDITIONAL); an action that assigns a column to itself
  (Delta spells out every untouched column of ``UPDATE SET *``) adds nothing. The merge
  condition is a dataset-wide JOIN dependency on both sides; delete clauses' conditions decide
  which rows survive (FILTER); the source query's own dependencies (its filters, grouping,
  joins) carry over. With schema evolution (``MERGE WITH SCHEMA EVOLUTION`` or
  ``spark.databricks.delta.schema.autoMerge.enabled``) an action may name a source column the
  target does not have yet: it becomes a target column with that action's origins only (no old
  value to keep), and the written schema is the command's ``migratedSchema``.
- ``RestoreTableCommand`` and ``CreateDeltaTableCommand`` cloning a table (SHALLOW CLONE): the
  written table is a copy of a snapshot (RESTORE: the table itself at the version restored;
  CLONE: the source at the version cloned), so every column of that snapshot is an IDENTITY edge
  from the same column of the snapshot. The JSON leaves the source out (``sourceTable: null``):
  it comes from the capture fact ``write.source``.

The written dataset is the Delta write fact (``facts["delta_write"]``, from
``capture.delta.delta_facts``), else the generic write fact, else the command's ``catalogTable``.
The target's columns are registered as an input of that same dataset, so that a path table whose
relation has no capture fact is still named by its path.

Registration (in ``rules/__init__.py``): fold ``delta_commands.WRITES`` into ``WRITE_RULES``
(same ``(classes, WriteRule)`` shape as ``writes.WRITES``), *before* ``writes.WRITES`` so that
this ``MergeIntoCommand`` rule wins over ``writes.delta_merge`` (first registration wins).
"""

from __future__ import annotations

from typing import Any

from spark_lineage.lineage.context import Attr, LineageContext
from spark_lineage.lineage.datasets import datasets_from_fact, table_from_json
from spark_lineage.lineage.expressions import expression_origins, expressions_origins
from spark_lineage.lineage.origins import (
    EMPTY,
    IDENTITY,
    NO_DEPS,
    Deps,
    Origin,
    Origins,
    Subtype,
)
from spark_lineage.lineage.rules.writes import WriteResult, WriteRule
from spark_lineage.lineage.schema import type_name
from spark_lineage.lineage.tree import (
    Expr,
    PlanNode,
    attributes,
    build_expr,
    expr_list,
    is_flat_tree,
)
from spark_lineage.model import DatasetRef
from spark_lineage.write_commands import (
    CLONE_QUERY,
    DELTA_COPY_OPERATIONS,
    DELTA_DML_OPERATIONS,
)


def delta_update(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``UPDATE t SET c = expr [WHERE cond]`` (SQL or ``DeltaTable.update``)."""
    refs, target = _target(node, ctx)
    condition = _condition(node, ctx, Subtype.CONDITIONAL)
    expressions = expr_list(node.fields.get("updateExpressions"))
    if len(expressions) != len(target):
        ctx.warn(f"UpdateCommand: {len(expressions)} update expressions for {len(target)} columns")
    columns = []
    for index, attr in enumerate(target):
        own = ctx.origins_of(attr.expr_id)
        expression = expressions[index] if index < len(expressions) else None
        if expression is None or expression.expr_id == attr.expr_id:
            columns.append((attr.name, attr.data_type, own))
            continue
        origins: Origins = expression_origins(expression, ctx, IDENTITY)
        ctx.note_written(attr.name, expr=expression)
        if condition is not None:
            origins = origins | own | condition
        columns.append((attr.name, attr.data_type, origins))
    return WriteResult(refs, tuple(columns), NO_DEPS, "Update")


def delta_delete(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``DELETE FROM t [WHERE cond]`` (SQL or ``DeltaTable.delete``)."""
    refs, target = _target(node, ctx)
    condition = _condition(node, ctx, Subtype.FILTER)
    columns = tuple((a.name, a.data_type, ctx.origins_of(a.expr_id)) for a in target)
    deps = Deps.of(condition, ()) if condition else NO_DEPS
    return WriteResult(refs, columns, deps, "Delete")


def delta_merge(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``MERGE INTO t USING s ON cond WHEN ...`` (SQL or ``DeltaTable.merge``)."""
    refs, target = _target(node, ctx)
    source = ctx.plans.resolve_nested(node.fields.get("source"))
    join = expressions_origins(expr_list(node.fields.get("condition")), ctx, Subtype.JOIN)
    ids = {a.name: a.expr_id for a in target}
    columns: dict[str, set[Origin]] = {a.name: set(ctx.origins_of(a.expr_id)) for a in target}
    types: dict[str, Any] = {a.name: a.data_type for a in target}
    survivors: set[Origin] = set()
    for field in ("matchedClauses", "notMatchedClauses", "notMatchedBySourceClauses"):
        for flat in node.fields.get(field) or ():
            if not is_flat_tree(flat):
                continue
            clause = build_expr(flat)
            if clause.cls.endswith("DeleteClause"):
                survivors.update(_clause_condition(clause, ctx, Subtype.FILTER))
                continue
            steer = _clause_condition(clause, ctx, Subtype.CONDITIONAL)
            for action in clause.children:
                if action.cls != "DeltaMergeAction" or not action.children:
                    continue
                name = ".".join(_name_parts(action.fields.get("targetColNameParts")))
                value = action.children[0]
                if value.cls == "AttributeReference" and value.expr_id == ids.get(name):
                    continue
                value_origins = expression_origins(value, ctx, IDENTITY)
                ctx.note_written(name, expr=value)
                columns.setdefault(name, set()).update(value_origins, steer)
    types.update(_schema_types(node.fields.get("migratedSchema"), types))
    result = tuple((name, types.get(name), frozenset(o)) for name, o in columns.items())
    return WriteResult(refs, result, Deps.of(join | survivors, (source.deps,)), "Merge")


def _schema_types(schema: Any, known: dict[str, Any]) -> dict[str, Any]:
    """Types of the columns a schema evolution adds (``migratedSchema``, Spark's struct JSON)."""
    fields = schema.get("fields") if isinstance(schema, dict) else None
    return {
        str(f["name"]): f.get("type")
        for f in fields or ()
        if isinstance(f, dict) and "name" in f and f["name"] not in known
    }


def delta_copy(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``RESTORE TABLE t TO VERSION AS OF n``, ``CREATE TABLE c SHALLOW CLONE s``."""
    fact = ctx.facts.get("write") or {}
    source = fact.get("source") or {}
    if not fact:
        if _copies_data(node):
            ctx.warn(f"{node.cls}: the table copied and written are unknown (no capture facts)")
        return WriteResult((), (), NO_DEPS, None)
    refs = tuple(datasets_from_fact(fact))
    sources = datasets_from_fact(source)
    fields = [f for f in source.get("columns") or () if isinstance(f, dict) and "name" in f]
    if not refs or not sources:
        ctx.warn(f"{node.cls}: the table copied or written is unknown")
        return WriteResult(refs, (), NO_DEPS, fact.get("mode"))
    index = ctx.read(sources[0], [(str(f["name"]), type_name(f.get("type"))) for f in fields])
    columns = tuple(
        (
            str(f["name"]),
            f.get("type"),
            frozenset({(ctx.source(index, str(f["name"])), IDENTITY, False)}),
        )
        for f in fields
    )
    return WriteResult(refs, columns, NO_DEPS, fact.get("mode"))


def _copies_data(node: PlanNode) -> bool:
    """False only for ``CREATE TABLE ... LIKE``: a ``CreateDeltaTableCommand`` that clones
    nothing (RESTORE has no ``query`` field at all)."""
    if "query" not in node.fields:
        return True
    query: Any = node.fields.get("query")
    return is_flat_tree(query) and str(query[0].get("class", "")).endswith(f".{CLONE_QUERY}")


def _clause_condition(clause: Expr, ctx: LineageContext, mode: Subtype) -> Origins:
    value: Any = clause.fields.get("condition")
    return expression_origins(build_expr(value), ctx, mode) if is_flat_tree(value) else EMPTY


def _name_parts(value: Any) -> list[str]:
    """``targetColNameParts`` prints as ``"[a, b]"`` (a Scala Seq of strings) or a JSON list."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return [part.strip() for part in value[1:-1].split(",") if part.strip()]
    return ["?"]


def _target(node: PlanNode, ctx: LineageContext) -> tuple[tuple[DatasetRef, ...], list[Attr]]:
    """The written dataset(s), and the target's columns registered as read from the first one."""
    refs = _written(node, ctx)
    relation = _relation_output(node.fields.get("target"))
    if not refs or not relation:
        ctx.plans.resolve_nested(node.fields.get("target"))  # at least resolve it the generic way
        if not refs:
            ctx.warn(f"{node.cls}: target dataset unknown (no capture facts)")
        return refs, relation
    index = ctx.read(refs[0], [(a.name, type_name(a.data_type)) for a in relation])
    for attr in relation:
        ctx.origins[attr.expr_id] = frozenset({(ctx.source(index, attr.name), IDENTITY, False)})
    return refs, relation


def _relation_output(target: Any) -> list[Attr]:
    """Output attributes of the relation at the bottom of the target plan (aliases keep ids)."""
    if not is_flat_tree(target):
        return []
    for node in target:
        if isinstance(node, dict) and "output" in node:
            return [Attr.of(a) for a in attributes(node.get("output"))]
    return []


def _written(node: PlanNode, ctx: LineageContext) -> tuple[DatasetRef, ...]:
    delta = ctx.facts.get("delta_write") or {}
    if delta.get("path"):
        fact = {"paths": [delta["path"]], "table": delta.get("table"), "format": "delta"}
        return tuple(datasets_from_fact(fact))
    generic = ctx.facts.get("write") or {}
    refs = datasets_from_fact(generic) if generic else []
    if refs:
        return tuple(refs)
    ref = table_from_json(node.fields.get("catalogTable"))
    return (ref,) if ref is not None else ()


def _condition(node: PlanNode, ctx: LineageContext, mode: Subtype) -> Origins | None:
    """Origins of the ``WHERE`` (an inline ``Option[Expression]``), None when there is none."""
    value: Any = node.fields.get("condition")
    if not is_flat_tree(value):
        return None
    return expression_origins(build_expr(value), ctx, mode) or EMPTY


#: The rule of each Delta DML operation; the command classes are ``write_commands``' to name.
_DML_RULES: dict[str, WriteRule] = {
    "UPDATE": delta_update,
    "DELETE": delta_delete,
    "MERGE": delta_merge,
}

WRITES: tuple[tuple[frozenset[str], WriteRule], ...] = (
    *((frozenset({name}), _DML_RULES[op]) for name, op in DELTA_DML_OPERATIONS.items()),
    (frozenset(DELTA_COPY_OPERATIONS), delta_copy),
)
