"""Write commands at the root of a plan: which dataset is written and which query column lands in
which target column.

Targets come from the capture facts (``facts["write"]``), with the JSON's ``catalogTable`` as a
fallback. Columns are matched **by position** wherever Spark matches by position: ``insertInto``
and ``INSERT INTO`` (the analyzer aligns the query to the table's columns, whose names the command
carries: ``outputColumnNames`` for V1 file writes, the target relation's output for V2 writes).
CTAS, ``saveAsTable`` and ``save(path)`` create the target from the query, so names are the
query's; so does a streaming micro-batch (``WriteToMicroBatchDataSourceV1``: a Delta or file sink,
``toTable``), whose names capture reads from the JVM. Delta MERGE/UPDATE/DELETE are in
:mod:`.delta_commands` (the Delta work's rules).

When the query's output is a guess (an unknown node under the write, see
:attr:`~spark_lineage.lineage.context.NodeResult.guessed`), positions mean nothing: the written
columns are the target's known names, each taking the query column of that name, or every source
of the query (flagged conservative) when no column has it. Without known names (CTAS,
``save(path)``) the guess is written once per name, never with duplicate columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spark_lineage.lineage.context import LineageContext, NodeResult
from spark_lineage.lineage.datasets import datasets_from_fact, table_from_json
from spark_lineage.lineage.origins import Deps, Origins
from spark_lineage.lineage.rules._common import child, every_origin, pick_by_name
from spark_lineage.lineage.tree import PlanNode, attributes, is_flat_tree
from spark_lineage.model import DatasetRef


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The written dataset(s) with each target column's origins and the dataset-wide deps."""

    datasets: tuple[DatasetRef, ...]
    columns: tuple[tuple[str, Any, Origins], ...]  # (target name, Spark type JSON, origins)
    deps: Deps
    mode: str | None


WriteRule = Callable[[PlanNode, LineageContext], WriteResult]


def _query(node: PlanNode, ctx: LineageContext, field: str = "query") -> NodeResult:
    """The command's query: a child (an index in the JSON) or a plan nested in a field."""
    value = node.fields.get(field)
    if isinstance(value, int):
        return child(node, value)
    if is_flat_tree(value):
        return ctx.plans.resolve_nested(value)
    return child(node, 0) if node.children else NodeResult(())


def _targets(node: PlanNode, ctx: LineageContext) -> tuple[tuple[DatasetRef, ...], str | None]:
    fact = ctx.facts.get("write") or {}
    refs = datasets_from_fact(fact) if fact else []
    if not refs:
        for field in ("catalogTable", "table", "tableDesc"):
            ref = table_from_json(node.fields.get(field))
            if ref is not None:
                refs = [ref]
                break
    if not refs:
        ctx.warn(f"{node.cls}: write target unknown (no capture facts)")
    return tuple(refs), fact.get("mode")


def _positional(
    query: NodeResult, names: Sequence[str] | None, ctx: LineageContext
) -> tuple[tuple[str, Any, Origins], ...]:
    if query.guessed:
        return _from_guess(query, names, ctx)
    resolved = _resolved_types(ctx)
    typed = len(resolved) == len(query.output)
    out = []
    for index, attr in enumerate(query.output):
        name = names[index] if names is not None and index < len(names) else attr.name
        data_type = resolved[index][1] if typed else attr.data_type
        out.append((name, data_type, ctx.origins_of(attr.expr_id)))
        ctx.note_written(name, attr.expr_id)
    return tuple(out)


def _resolved_types(ctx: LineageContext) -> list[tuple[str, Any]]:
    """The written query's (name, type) pairs as Spark resolved them (capture's
    ``query_columns``), else []. Preferred to the plan JSON's types, which an expression
    without a ``dataType`` field (``sha2``, ``count``) can only guess."""
    columns = (ctx.facts.get("write") or {}).get("query_columns") or []
    return [(str(c.get("name")), c.get("type")) for c in columns if c.get("type") is not None]


def _from_guess(
    query: NodeResult, names: Sequence[str] | None, ctx: LineageContext
) -> tuple[tuple[str, Any, Origins], ...]:
    """The written columns when the query's output is only a guess (an unknown node below)."""
    if names is None:  # nothing knows the real columns: one column per distinct guessed name
        ctx.warn("written schema guessed: an unknown plan node hides the query's columns")
        distinct: dict[str, str] = {}
        for candidate in query.output:
            distinct.setdefault(candidate.name.lower(), candidate.name)
        names = list(distinct.values())
    everything: Origins | None = None
    resolved = {name.lower(): data_type for name, data_type in _resolved_types(ctx)}
    out: list[tuple[str, Any, Origins]] = []
    for name, match in zip(names, pick_by_name(query.output, names), strict=True):
        if match is not None:
            data_type = resolved.get(match.name.lower(), match.data_type)
            out.append((name, data_type, ctx.origins_of(match.expr_id)))
            ctx.note_written(name, match.expr_id)
            continue
        if everything is None:
            everything = every_origin(query.output, ctx)
        out.append((name, None, everything))
    return tuple(out)


def _fact_columns(ctx: LineageContext) -> list[str] | None:
    names = (ctx.facts.get("write") or {}).get("column_names")
    return [str(n) for n in names] if names else None


def by_position_v1(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``InsertIntoHadoopFsRelationCommand`` / ``InsertIntoHiveTable``: ``outputColumnNames``
    by position (a static partition's column is not among them: its value is a literal)."""
    query = _query(node, ctx)
    names = _fact_columns(ctx) or _parse_names(node.fields.get("outputColumnNames"))
    refs, mode = _targets(node, ctx)
    return WriteResult(refs, _positional(query, names, ctx), query.deps, mode)


def by_position_v2(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """``AppendData``/``OverwriteByExpression``/...: the target relation's columns, by position
    (SQL ``INSERT``), or by name when ``isByName`` (``writeTo(...).append()``: Delta leaves the
    query unaligned in the analyzed plan and matches names at write time)."""
    query = _query(node, ctx)
    table: Any = node.fields.get("table")
    names = [a.name for a in attributes(table[0].get("output"))] if is_flat_tree(table) else []
    if node.fields.get("isByName") is True:
        spelled = {name.lower(): name for name in names}
        if query.guessed and spelled:  # the target's columns the (guessed) query offers
            offered = dict.fromkeys(attr.name.lower() for attr in query.output)
            names = [spelled[name] for name in offered if name in spelled]
        else:
            names = [spelled.get(attr.name.lower(), attr.name) for attr in query.output]
    refs, mode = _targets(node, ctx)
    return WriteResult(refs, _positional(query, names or None, ctx), query.deps, mode)


def by_captured_names(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """A streaming micro-batch (``WriteToMicroBatchDataSourceV1``): the sink writes the query's
    columns, whose names capture read from the JVM (``column_names``), so that an unknown node
    under it cannot change the written schema."""
    query = _query(node, ctx)
    refs, mode = _targets(node, ctx)
    return WriteResult(refs, _positional(query, _fact_columns(ctx), ctx), query.deps, mode)


def from_query(node: PlanNode, ctx: LineageContext) -> WriteResult:
    """CTAS, ``saveAsTable``, ``save(path)``: the target takes the query's column names."""
    query = _query(node, ctx)
    refs, mode = _targets(node, ctx)
    return WriteResult(refs, _positional(query, None, ctx), query.deps, mode)


def _parse_names(value: Any) -> list[str] | None:
    """``outputColumnNames`` prints as ``"[a, b]"`` in the JSON (a Scala Seq of strings)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        inner = value[1:-1]
        return [part.strip() for part in inner.split(",")] if inner else []
    return None


WRITES: tuple[tuple[frozenset[str], WriteRule], ...] = (
    (frozenset({"InsertIntoHadoopFsRelationCommand", "InsertIntoHiveTable"}), by_position_v1),
    (
        frozenset(
            {"AppendData", "OverwriteByExpression", "OverwritePartitionsDynamic", "ReplaceData"}
        ),
        by_position_v2,
    ),
    (
        frozenset(
            {
                "CreateDataSourceTableAsSelectCommand",
                "SaveAsV1TableCommand",
                "SaveIntoDataSourceCommand",
                "CreateTableAsSelect",
                "ReplaceTableAsSelect",
                "CreateHiveTableAsSelectCommand",
                "OptimizedCreateHiveTableAsSelectCommand",
                "WriteIntoDelta",
            }
        ),
        from_query,
    ),
    (frozenset({"WriteToMicroBatchDataSourceV1"}), by_captured_names),
)
