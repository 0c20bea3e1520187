"""Read one executed query's plan out of the JVM as plain data (:class:`CapturedPlan`).

Called on the agent's worker thread (never on Spark's listener thread) with the py4j
``QueryExecution`` Spark handed to ``QueryExecutionListener.onSuccess/onFailure``.

Which plan: the **analyzed** plan (``QueryExecution.analyzed``). It is the query as the user wrote
it, fully resolved: views (``View``), CTEs (``WithCTE``/``CTERelationRef``), subqueries, aliases and
every column the query names are still there, and cached data is still the plan that produced it
(the optimizer, not the analyzer, swaps in ``InMemoryRelation``). The optimized plan loses exactly
what lineage needs (pruned columns, inlined views, subqueries rewritten into joins, constant-folded
expressions) and adds nothing lineage uses. For commands, Spark hands the listener the command's
own ``QueryExecution``, whose analyzed plan is the resolved command (``InsertIntoHadoopFsRelation
Command``, ``AppendData``, ``SaveIntoDataSourceCommand``...) with its query.

Cost: the plan's JSON (``toJSON``'s exact text) is built on the JVM and fetched in slices that
avoid py4j's 40 ms Nagle/delayed-ACK stall on replies over 8 KB (:mod:`.transfer`): 1-5 ms for
ordinary plans once the JVM is warm, instead of ~45 ms for ``toJSON()``. Then about a dozen cheap
calls per file/table relation and per write target, for what the JSON prints as ``null`` (file
paths, data source formats, save modes, V2 tables, table locations).

``facts`` schema (``FACTS_SCHEMA_VERSION`` = 1), all JSON-serialisable::

    {
      "schema": 1,
      "plan": "analyzed",
      "function_name": "command" | "collectToPython" | ...,
      "relations": [            # one per leaf relation whose identity the JSON leaves out
        {
          "expr_id": 12,        # exprId of the relation's first output column (the join key to
                                # the JSON node: exprIds are unique per relation instance)
          "node": "LogicalRelation" | "DataSourceV2Relation" | "HiveTableRelation" | ...,
          "relation": "HadoopFsRelation" | "DeltaTableV2" | ...,   # JVM class, simple name
          "paths": ["file:/data/x", ...],       # root paths/locations, as URIs (may be [])
          "format": "parquet" | "delta" | ...,  # or null
          "table": "spark_catalog.default.t",   # catalog identifier, or null
          # only on a LogicalRDD that is a foreachBatch DataFrame (capture/streams.py):
          "micro_batch": {"query_id": "...", "batch_id": 3, "nodes": [...]}  # the batch's query
        }                                       # (its own relations follow in this list)
      ],
      "write": null | {                         # the write target of a command
        "node": "InsertIntoHadoopFsRelationCommand" | "AppendData" | ...,
        "paths": [...], "format": ..., "table": ...,          # as for relations
        "mode": "Append" | "Overwrite" | "ErrorIfExists" | "Ignore" | "OverwritePartitions"
                | "Create" | "Replace" | "Merge" | "Update" | "Delete" | "Restore" | "Clone"
                | "Complete" | null,                  # a micro-batch: its output mode
        "column_names": ["a", "b"] | null,      # target columns Spark matches by position
        "query_columns": [{"name", "type"}] | null,  # the written query's columns as Spark
                                                # resolved them (type: Spark's JSON); null for
                                                # a command without a query (Delta MERGE...)
        "partition": {"day": "2024-01-01" | null}   # only InsertIntoHiveTable: the table's
                                                    # partition columns, static value or null
        "source": {...}                         # only RESTORE / SHALLOW CLONE: the snapshot
                                                # copied, as for relations plus "columns":
                                                # [{"name", "type", ...}] (Spark's JSON)
      },
      "errors": ["...", ...],                   # what could not be read (partial facts)
      # only when the query read a Delta table or wrote anything (capture/delta.py):
      "delta_reads": [{"path", "table", "version": VersionInfo, "time_travel"}, ...],
      "delta_write": null | {"path", "table", "command", "version": VersionInfo,
                             "read_version", "fingerprint", "scanned_commits"},
      "delta_errors": ["...", ...]
    }
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from spark_lineage.capture.delta import (
    change_feed_path,
    delta_copy,
    delta_data_path,
    delta_facts,
    delta_reads,
)
from spark_lineage.capture.handles import is_instance
from spark_lineage.capture.leaves import plan_leaves
from spark_lineage.capture.scala import catalog_name, option, option_str, seq
from spark_lineage.capture.streams import MICRO_BATCH_WRITE, StreamRegistry, batch_query
from spark_lineage.capture.transfer import active_jvm, plan_json_text
from spark_lineage.capture.versions import change_feed_table, file_stream_dir
from spark_lineage.model import CapturedPlan, JsonDict
from spark_lineage.phases import NO_CLOCK, PhaseClock
from spark_lineage.write_commands import DELTA_COPY_OPERATIONS, DELTA_DML_OPERATIONS

log = logging.getLogger(__name__)

FACTS_SCHEMA_VERSION = 1
_SEP = "\u0001"  # joins JVM string sequences in one call; never appears in paths or names

# Leaf classes whose identity the JSON leaves out (relation: null, table: null, location: null).
_JVM_RELATIONS = frozenset(
    {"LogicalRelation", "DataSourceV2Relation", "DataSourceV2ScanRelation", "HiveTableRelation"}
)


def capture_plan(
    query_execution: Any,
    function_name: str,
    ended_at_ms: int | None = None,
    streams: StreamRegistry | None = None,
    batch_id: int | None = None,
    clock: PhaseClock = NO_CLOCK,
) -> CapturedPlan:
    """Capture the analyzed plan of ``query_execution`` and the facts its JSON leaves out.

    Raises only when the plan itself cannot be read (no JSON); every missing fact is recorded in
    ``facts["errors"]`` instead, so that lineage still gets a partial answer. When the query read
    a Delta table or wrote anything, the Delta versions read and written are added
    (:func:`spark_lineage.capture.delta.delta_facts`; ``ended_at_ms`` is the query's end, which
    bounds the commits a write may have created). With ``streams``, an in-memory ``LogicalRDD``
    that is a ``foreachBatch`` DataFrame gets the plan of the micro-batch it was made from. For a
    streaming micro-batch, ``batch_id`` is the batch reported (whose Delta commit is looked up).
    ``clock`` receives the time of each stage (``capture.plan``, ``capture.facts``,
    ``capture.delta``: :mod:`spark_lineage.phases`).
    """
    with clock.measure("capture.plan"):
        plan = query_execution.analyzed()
        nodes = tuple(json.loads(plan_json(plan)))
    with clock.measure("capture.facts"):
        errors: list[str] = []
        leaves = _guard(errors, "leaves", lambda: plan_leaves(plan))
        batches: list[Any] = []
        relations = _relation_facts(leaves or [], errors, streams, batches)
        facts: JsonDict = {
            "schema": FACTS_SCHEMA_VERSION,
            "plan": "analyzed",
            "function_name": function_name,
            "relations": relations,
            "write": _guard(errors, "write", lambda: _write_facts(query_execution, plan)),
            "errors": errors,
        }
    delta_read = any(r.get("format") == "delta" for r in relations)
    if facts["write"] is not None or delta_read or batches:
        with clock.measure("capture.delta"):
            if facts["write"] is not None or delta_read:
                facts.update(delta_facts(query_execution, ended_at_ms, leaves, batch_id))
            for batch in batches:  # the Delta versions the micro-batch under a foreachBatch read
                reads = _guard(errors, "micro-batch delta reads", partial(delta_reads, batch))
                facts.setdefault("delta_reads", []).extend(r.to_dict() for r in reads or ())
    return CapturedPlan(nodes=nodes, facts=facts)


def plan_json(plan: Any) -> str:
    """``plan.toJSON()``'s text, through the stall-free transfer; ``toJSON()`` itself if that
    path is unavailable on this Spark build (same text, only slower)."""
    try:
        return plan_json_text(plan, active_jvm())
    except Exception as exc:  # py4j errors, a Spark build without the json4s mapper
        log.debug("fast plan transfer unavailable, using toJSON(): %s", exc)
        return str(plan.toJSON())


def _guard(errors: list[str], what: str, read: Callable[[], Any]) -> Any:
    """Run one JVM read; on failure note it in ``errors`` and return None (partial facts)."""
    try:
        return read()
    except Exception as exc:  # py4j errors, missing methods on other Spark/Delta versions
        errors.append(f"{what}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return None


# --- walking the JVM plan ------------------------------------------------------------------


def _relation_facts(
    leaves: list[tuple[Any, str]],
    errors: list[str],
    streams: StreamRegistry | None = None,
    batches: list[Any] | None = None,
) -> list[JsonDict]:
    """Facts of every relation leaf; a ``LogicalRDD`` made from a micro-batch (``foreachBatch``)
    also gets the batch's query and its relations (the batch is added to ``batches``)."""
    relations: list[JsonDict] = []
    for leaf, node in leaves:
        if node in _JVM_RELATIONS:
            fact = _guard(errors, node, partial(_leaf_fact, leaf, node, streams))
            if fact is not None:
                relations.append(fact)
        elif node == "LogicalRDD" and streams is not None:
            found = _guard(errors, "micro-batch", partial(_micro_batch_fact, leaf, streams))
            if found is not None and not _known(relations, found[0]):
                fact, batch = found
                relations.append(fact)
                below = _guard(errors, "leaves", partial(plan_leaves, batch_query(batch)))
                relations.extend(_relation_facts(below or [], errors))
                if batches is not None:
                    batches.append(batch)
    return relations


def _known(relations: list[JsonDict], fact: JsonDict) -> bool:
    """True when a relation with the same first exprId (the same relation) is already listed:
    a command's query can be both its child and a field the walk visits."""
    return any(r.get("expr_id") == fact["expr_id"] for r in relations)


def _micro_batch_fact(leaf: Any, streams: StreamRegistry) -> tuple[JsonDict, Any] | None:
    """The micro-batch a ``foreachBatch`` DataFrame (``LogicalRDD``) was made from, if any."""
    output = leaf.output()
    if output.isEmpty():
        return None
    expr_id = int(output.head().exprId().id())
    batch = streams.batch_for(expr_id)
    if batch is None:
        return None
    write = batch.analyzed()
    query_id = str(write.queryId()) if str(write.nodeName()) == MICRO_BATCH_WRITE else None
    fact: JsonDict = {
        "expr_id": expr_id,
        "node": "LogicalRDD",
        "relation": "MicroBatch",
        "paths": [],
        "format": None,
        "table": None,
        "micro_batch": {
            "query_id": query_id,
            "batch_id": int(batch.currentBatchId()),
            "nodes": json.loads(plan_json(batch_query(batch))),
        },
    }
    return fact, batch


def _leaf_fact(leaf: Any, node: str, streams: StreamRegistry | None = None) -> JsonDict | None:
    output = leaf.output()
    if output.isEmpty():
        return None
    fact: JsonDict = {"expr_id": int(output.head().exprId().id()), "node": node}
    fact.update(_identity(leaf, node, streams))
    return fact


def _identity(leaf: Any, node: str, streams: StreamRegistry | None = None) -> JsonDict:
    """Paths, format and catalog name of one relation node (V1, V2 or Hive)."""
    if node == "LogicalRelation":
        return _v1_identity(leaf, streams)
    if node == "HiveTableRelation":
        meta = leaf.tableMeta()
        return {
            "relation": "HiveTableRelation",
            "paths": [str(meta.location().toString())],
            "format": option_str(meta.provider()) or "hive",
            "table": str(meta.identifier().unquotedString()),
        }
    return _v2_identity(leaf.table() if node == "DataSourceV2Relation" else leaf.relation().table())


def _v1_identity(leaf: Any, streams: StreamRegistry | None = None) -> JsonDict:
    relation = leaf.relation()
    kind = _class_name(relation)
    fact: JsonDict = {"relation": kind, "paths": [], "format": None, "table": None}
    catalog_table = option(leaf.catalogTable())
    if catalog_table is not None:
        fact["table"] = str(catalog_table.identifier().unquotedString())
        fact["format"] = option_str(catalog_table.provider())
    if kind == "DeltaCDFRelation":  # a change data feed read (readChangeFeed, table_changes)
        fact["paths"] = [change_feed_path(relation)]
        fact["format"] = "delta"
        if fact["table"] is None:
            fact["table"] = change_feed_table(relation)
    elif is_instance(relation, "org.apache.spark.sql.execution.datasources.HadoopFsRelation"):
        location = relation.location()
        roots = _split(location.rootPaths().mkString(_SEP))
        fact["paths"] = _stream_source_paths(leaf, roots, streams) or roots
        if "Tahoe" in str(location.getClass().getSimpleName()):
            fact["format"] = "delta"
        elif fact["format"] is None:
            fact["format"] = _format_name(relation.fileFormat())
    return fact


def _stream_source_paths(leaf: Any, roots: list[str], streams: StreamRegistry | None) -> list[str]:
    """The directory of a file stream source, for the relation of one micro-batch over it (whose
    root paths are the batch's files); empty for any other relation. How the source is found
    differs per Spark line (:func:`spark_lineage.capture.versions.file_stream_dir`)."""
    executions = streams.executions() if streams is not None else []
    folder = file_stream_dir(leaf, roots, executions)
    return [] if folder is None else [folder]


def _v2_identity(table: Any) -> JsonDict:
    kind = str(table.getClass().getSimpleName())
    fact: JsonDict = {"relation": kind, "paths": [], "format": None, "table": None}
    if kind == "DeltaTableV2":
        fact["format"] = "delta"
        fact["paths"] = [str(table.path().toString())]
        fact["table"] = catalog_name(table.catalogTable())
    else:
        fact["table"] = str(table.name())
        try:
            fact["paths"] = [str(table.properties().get("location"))]
            fact["format"] = str(table.properties().get("provider"))
        except Exception:
            pass
        fact["paths"] = [p for p in fact["paths"] if p and p != "None"]
        if fact["format"] == "None":
            fact["format"] = None
    return fact


def _class_name(obj: Any) -> str:
    """Simple class name; anonymous subclasses (Delta's relations) report their superclass."""
    cls = obj.getClass()
    name = str(cls.getSimpleName())
    return name or str(cls.getSuperclass().getSimpleName())


def _format_name(file_format: Any) -> str | None:
    try:
        return str(file_format.shortName())
    except Exception:
        text = str(file_format.toString())
        return text.lower() if text else None


def _split(joined: Any) -> list[str]:
    text = str(joined)
    return [part for part in text.split(_SEP) if part]


# --- the write target of a command ---------------------------------------------------------

_V2_WRITE_MODES = {
    "AppendData": "Append",
    "OverwriteByExpression": "Overwrite",
    "OverwritePartitionsDynamic": "OverwritePartitions",
    "ReplaceData": "Overwrite",
    "WriteDelta": "Overwrite",
}


def _write_facts(query_execution: Any, plan: Any) -> JsonDict | None:
    """The target of the root command, or None when the query writes nothing we know of."""
    node = str(plan.nodeName())
    handler = _WRITE_HANDLERS.get(node)
    if handler is None:
        return None
    target = handler(query_execution, plan)
    if target is None:  # no data written this time, or a micro-batch into no dataset
        return None
    fact: JsonDict = {
        "node": node,
        "paths": [],
        "format": None,
        "table": None,
        "mode": None,
        "column_names": None,
        "query_columns": _query_columns(plan),
    }
    fact.update(target)
    return fact


def _query_columns(cmd: Any) -> list[JsonDict] | None:
    """The names and types of the columns the command's query produces, from the analyzed
    query's schema: the plan JSON gives an expression's type only on some nodes (a ``sha2`` or a
    ``count`` has none), so the written types are read here. None when the command has no
    ``query`` (Delta MERGE/UPDATE/DELETE, RESTORE, CLONE)."""
    try:
        schema_json = str(cmd.query().schema().json())
    except Exception:  # py4j: no such method on this command
        return None
    fields = json.loads(schema_json).get("fields") or []
    return [{"name": str(f.get("name")), "type": f.get("type")} for f in fields]


def _insert_into_fs(_: Any, cmd: Any) -> JsonDict:
    fact: JsonDict = {
        "paths": [str(cmd.outputPath().toString())],
        "format": _format_name(cmd.fileFormat()),
        "mode": str(cmd.mode().toString()),
        "column_names": _split(cmd.outputColumnNames().mkString(_SEP)),
    }
    catalog_table = option(cmd.catalogTable())
    if catalog_table is not None:
        fact["table"] = str(catalog_table.identifier().unquotedString())
        fact["format"] = option_str(catalog_table.provider()) or fact["format"]
    return fact


def _catalog_target(query_execution: Any, identifier: Any) -> JsonDict:
    """Qualified name, location and provider of a session-catalog table (after the write)."""
    catalog = query_execution.sparkSession().sessionState().catalog()
    meta = catalog.getTableMetadata(identifier)
    return {
        "table": str(meta.identifier().unquotedString()),
        "paths": [str(meta.location().toString())],
        "format": option_str(meta.provider()),
    }


def _create_table_as_select_v1(query_execution: Any, cmd: Any) -> JsonDict:
    """V1 CTAS and ``saveAsTable``: data source tables and Hive-format tables alike."""
    # CreateDataSourceTableAsSelectCommand.table; SaveAsV1TableCommand.tableDesc;
    # CreateHiveTableAsSelectCommand.tableDesc (and Spark 3.5's Optimized... variant)
    node = str(cmd.nodeName())
    table = cmd.table() if node == "CreateDataSourceTableAsSelectCommand" else cmd.tableDesc()
    fact: JsonDict = {
        "table": str(table.identifier().unquotedString()),
        "format": option_str(table.provider()),
        "mode": str(cmd.mode().toString()),
    }
    try:
        fact.update(_catalog_target(query_execution, table.identifier()))
    except Exception:  # dropped or replaced since (a later overwrite): the command says where
        catalog = query_execution.sparkSession().sessionState().catalog()
        fact["table"] = str(catalog.qualifyIdentifier(table.identifier()).unquotedString())
        named = option(table.storage().locationUri())
        location = None if named is None else str(named.toString())
        fact["paths"] = [_planned_location(catalog, table.identifier(), location)]
    return fact


def _planned_location(catalog: Any, identifier: Any, named: str | None) -> str:
    """Where a CTAS put a session-catalog table that is dropped or replaced since (a later
    overwrite): the location the command names, else the warehouse default for the table."""
    if named is not None:
        return named
    return str(catalog.defaultTablePath(identifier).toString())


def _insert_into_hive(_: Any, cmd: Any) -> JsonDict:
    """``InsertIntoHiveTable``: ``INSERT`` / ``insertInto`` into a Hive-format table that Spark
    does not convert to a file source, and the inner step of a Hive CTAS. The target is the
    command's ``CatalogTable`` (its location once created); columns by position as
    ``outputColumnNames`` (static partition columns are not among them: they get a literal)."""
    table = cmd.table()
    return {
        "table": str(table.identifier().unquotedString()),
        "paths": [str(table.location().toString())],
        "format": option_str(table.provider()) or "hive",
        "mode": "Overwrite" if cmd.overwrite() else "Append",
        "column_names": _split(cmd.outputColumnNames().mkString(_SEP)),
        "partition": _partition_spec(table, cmd.partition()),
    }


def _partition_spec(table: Any, spec: Any) -> dict[str, str | None]:
    """``PARTITION (day = '2024-01-01')`` -> ``{"day": "2024-01-01"}``; a dynamic partition
    column (``PARTITION (day)`` or none named) maps to None. Ordered as the table's."""
    names = _split(table.partitionColumnNames().mkString(_SEP))
    return {name: option_str(option(spec.get(name))) for name in names}


def _save_into_data_source(_: Any, cmd: Any) -> JsonDict:
    options = cmd.options()
    source = cmd.dataSource()
    try:
        fmt: str | None = str(source.shortName())
    except Exception:
        fmt = str(source.getClass().getSimpleName())
    return {
        "paths": [p for p in [option_str(options.get("path"))] if p],
        "format": fmt,
        "mode": str(cmd.mode().toString()),
    }


def _v2_write(_: Any, cmd: Any) -> JsonDict:
    fact = _v2_identity(cmd.table().table())
    fact["target_kind"] = fact.pop("relation", None)
    fact["mode"] = _V2_WRITE_MODES.get(str(cmd.nodeName()))
    return fact


def _create_table_as_select_v2(query_execution: Any, cmd: Any) -> JsonDict:
    identifier = cmd.name().identifier()
    name = ".".join([*(str(p) for p in identifier.namespace()), str(identifier.name())])
    fact: JsonDict = {
        "table": f"{cmd.name().catalog().name()}.{name}",
        "mode": "Replace" if str(cmd.nodeName()).startswith("Replace") else "Create",
    }
    parser = query_execution.sparkSession().sessionState().sqlParser()
    try:
        fact.update(_catalog_target(query_execution, parser.parseTableIdentifier(name)))
    except Exception:  # replaced or dropped since: the command says where
        spec = cmd.tableSpec()
        fact["format"] = option_str(spec.provider())
        location = option_str(spec.location())
        if location is not None:
            fact["paths"] = [location]
        elif fact["table"].startswith("spark_catalog."):
            catalog = query_execution.sparkSession().sessionState().catalog()
            identifier = parser.parseTableIdentifier(name)
            fact["paths"] = [_planned_location(catalog, identifier, None)]
    return fact


def _delta_dml(_: Any, cmd: Any) -> JsonDict:
    """Delta MERGE / UPDATE / DELETE: the target is the (only) relation of ``cmd.target``."""
    target = seq(cmd.target().collectLeaves())
    fact = _identity(target[0], str(target[0].nodeName())) if target else {}
    fact.pop("relation", None)
    fact.pop("delta", None)
    fact["mode"] = str(cmd.nodeName()).removesuffix("IntoCommand").removesuffix("Command")
    return fact


def _delta_copy(query_execution: Any, _: Any) -> JsonDict | None:
    """RESTORE / SHALLOW CLONE: the table written and the snapshot it copies (None for
    ``CREATE TABLE ... LIKE``, which copies no data)."""
    copy = delta_copy(query_execution)
    if copy is None:
        return None
    return {
        "paths": [copy.target_path],
        "format": "delta",
        "table": copy.target_table,
        "mode": DELTA_COPY_OPERATIONS[copy.command].title(),  # "Restore", "Clone"
        "column_names": [str(f.get("name")) for f in copy.columns],
        "source": {
            "paths": [copy.source.path],
            "format": copy.source_format,
            "table": copy.source.table,
            "columns": list(copy.columns),
        },
    }


def _micro_batch_sink(query_execution: Any, cmd: Any) -> JsonDict | None:
    """A streaming micro-batch into a V1 sink: Delta's sink, a file sink, or a catalog table
    (``toTable``) of either; None for sinks that are no dataset (``ForeachBatchSink``...)."""
    sink = cmd.sink()
    kind = _class_name(sink)
    fact: JsonDict = {
        "mode": str(cmd.outputMode().toString()),
        "target_kind": kind,
        # the sink writes the query's columns; named here so an unknown node cannot hide them
        "column_names": [str(name) for name in cmd.query().schema().fieldNames()],
    }
    if kind == "DeltaSink":
        session = query_execution.sparkSession()
        fact.update(format="delta", paths=[delta_data_path(session, str(sink.path().toString()))])
    elif kind == "FileStreamSink":
        fact.update(paths=[_file_sink_path(sink)], format=_file_sink_format(sink))
    else:
        return None
    catalog_table = option(cmd.catalogTable())
    if catalog_table is not None:
        fact["table"] = str(catalog_table.identifier().unquotedString())
        fact["format"] = option_str(catalog_table.provider()) or fact["format"]
    return fact


def _file_sink_path(sink: Any) -> str:
    """``FileStreamSink`` keeps its path private; its ``toString`` is ``FileSink[<path>]``."""
    text = str(sink.toString())
    return text.removeprefix("FileSink[").removesuffix("]")


def _file_sink_format(sink: Any) -> str | None:
    """The sink's (private) ``fileFormat`` field, read by reflection; None if unreadable."""
    try:
        field = sink.getClass().getDeclaredField("fileFormat")
        field.setAccessible(True)
        return _format_name(field.get(sink))
    except Exception:
        return None


_WRITE_HANDLERS: dict[str, Callable[[Any, Any], JsonDict | None]] = {
    MICRO_BATCH_WRITE: _micro_batch_sink,
    "InsertIntoHadoopFsRelationCommand": _insert_into_fs,
    "CreateDataSourceTableAsSelectCommand": _create_table_as_select_v1,
    "SaveAsV1TableCommand": _create_table_as_select_v1,
    "CreateHiveTableAsSelectCommand": _create_table_as_select_v1,
    "OptimizedCreateHiveTableAsSelectCommand": _create_table_as_select_v1,
    "InsertIntoHiveTable": _insert_into_hive,
    "SaveIntoDataSourceCommand": _save_into_data_source,
    "AppendData": _v2_write,
    "OverwriteByExpression": _v2_write,
    "OverwritePartitionsDynamic": _v2_write,
    "CreateTableAsSelect": _create_table_as_select_v2,
    "ReplaceTableAsSelect": _create_table_as_select_v2,
    **dict.fromkeys(DELTA_DML_OPERATIONS, _delta_dml),
    **dict.fromkeys(DELTA_COPY_OPERATIONS, _delta_copy),
}
