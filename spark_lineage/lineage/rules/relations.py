"""Leaf relations: files, catalog tables, V2 tables and in-memory data become input datasets.

Identity comes from the capture facts (matched by the relation's first output exprId); a Hive
table (``HiveTableRelation``) is named by its location like any other catalog table. Without
facts the JSON's ``catalogTable`` (a Hive table's ``tableMeta``) names a table; in-memory sources
(``LogicalRDD``, ``LocalRelation``, ``Range``) are inputs in namespace ``memory``, never dropped.

A Delta change data feed read (``readChangeFeed``, ``table_changes``: capture names its relation
``DeltaCDFRelation``) reads the table's own columns plus :data:`CHANGE_FEED_COLUMNS`. Those
describe the commit a row change belongs to (its kind, version and time), not the value of any
column, so they have no column source (like a literal) and are not columns of the input; the
range of versions read is on the input's version (``VersionInfo.starting_version``).

A ``LogicalRDD`` that capture recognised as a ``foreachBatch`` DataFrame (fact ``micro_batch``) is
the batch's query itself: its columns are that query's output (same exprIds), resolved down to the
stream's sources.
"""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule
from spark_lineage.lineage.datasets import datasets_from_fact, memory_dataset, table_from_json
from spark_lineage.lineage.origins import IDENTITY
from spark_lineage.lineage.rules._common import field_attrs
from spark_lineage.lineage.schema import type_name
from spark_lineage.lineage.tree import PlanNode
from spark_lineage.model import DatasetRef

#: Columns a change data feed read adds to the table's columns.
CHANGE_FEED_COLUMNS = frozenset({"_change_type", "_commit_version", "_commit_timestamp"})
_CHANGE_FEED_RELATION = "DeltaCDFRelation"

_MEMORY_KINDS = {
    "LogicalRDD": "rdd",
    "ExternalRDD": "rdd",
    "LocalRelation": "local_relation",
    "Range": "range",
    "InMemoryRelation": "cached",
}


#: Relations whose JSON prints no ``output``: the fields that hold it, in output order.
_OUTPUT_FIELDS = {"HiveTableRelation": ("dataCols", "partitionCols")}


def relation(node: PlanNode, ctx: LineageContext) -> NodeResult:
    fields = _OUTPUT_FIELDS.get(node.cls, ("output",))
    attrs = [Attr.of(a) for field in fields for a in field_attrs(node, field)]
    batch = _micro_batch(attrs, ctx)
    if batch is not None:
        return batch
    read = _read_columns(attrs, ctx)
    columns = [(a.name, type_name(a.data_type)) for a in attrs if a.expr_id in read]
    refs = _datasets(node, attrs, columns, ctx)
    indexes = [ctx.read(ref, columns) for ref in refs]
    for attr in attrs:
        ctx.origins[attr.expr_id] = frozenset(
            (ctx.source(index, attr.name), IDENTITY, False)
            for index in indexes
            if attr.expr_id in read
        )
    return NodeResult(tuple(attrs))


def _read_columns(attrs: list[Attr], ctx: LineageContext) -> set[int]:
    """ExprIds of the output columns that are columns of the dataset read."""
    fact = ctx.relations.get(attrs[0].expr_id) if attrs else None
    if fact is not None and fact.get("relation") == _CHANGE_FEED_RELATION:
        return {a.expr_id for a in attrs if a.name not in CHANGE_FEED_COLUMNS}
    return {a.expr_id for a in attrs}


def _micro_batch(attrs: list[Attr], ctx: LineageContext) -> NodeResult | None:
    """The ``foreachBatch`` DataFrame's columns as the micro-batch query resolves them."""
    fact = ctx.relations.get(attrs[0].expr_id) if attrs else None
    batch = (fact or {}).get("micro_batch")
    if not batch or not batch.get("nodes"):
        return None
    query = ctx.plans.resolve_nested(batch["nodes"])
    resolved = {attr.expr_id for attr in query.output}
    if any(attr.expr_id not in resolved for attr in attrs):
        ctx.warn("foreachBatch DataFrame: columns differ from its micro-batch's; not followed")
        return None
    return NodeResult(tuple(attrs), query.deps)


def _datasets(
    node: PlanNode, attrs: list[Attr], columns: list[tuple[str, str]], ctx: LineageContext
) -> list[DatasetRef]:
    fact = ctx.relations.get(attrs[0].expr_id) if attrs else None
    if fact is not None:
        refs = datasets_from_fact(fact)
        if refs:
            return refs
    for field in ("catalogTable", "tableMeta"):
        ref = table_from_json(node.fields.get(field))
        if ref is not None:
            return [ref]
    kind = _MEMORY_KINDS.get(node.cls)
    if kind is not None:
        detail = ""
        if node.cls == "Range":
            detail = (
                f"[{node.fields.get('start')},{node.fields.get('end')},{node.fields.get('step')}]"
            )
        return [memory_dataset(kind, columns, detail)]
    ctx.warn(f"{node.cls}: no identity captured; named as an unknown in-memory source")
    return [memory_dataset(f"unknown/{node.cls}", columns)]


def no_rows_source(node: PlanNode, ctx: LineageContext) -> NodeResult:
    """``OneRowRelation`` (``SELECT 1``): no input at all."""
    return NodeResult(())


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (
        frozenset(
            {
                "LogicalRelation",
                "DataSourceV2Relation",
                "DataSourceV2ScanRelation",
                "HiveTableRelation",
                "StreamingRelation",
                "StreamingRelationV2",
                "StreamingDataSourceV2Relation",
                *_MEMORY_KINDS,
            }
        ),
        relation,
    ),
    (frozenset({"OneRowRelation"}), no_rows_source),
)
