"""Delta Lake facts read through py4j: the versions a query read and the version a write created.

This is the only module that touches Delta's JVM classes (``TahoeFileIndex`` and subclasses,
``DeltaTableV2``, ``DeltaLog``, Delta commands). Everything runs on the agent's worker thread with
the ``QueryExecution`` the listener stashed; nothing here runs a Spark job.

Public API (what the agent calls):

- :func:`delta_reads` - every Delta table a query read, with the snapshot version it read
  (time travel included), walking the optimized plan once.
- :func:`resolve_delta_write` - the Delta table a command wrote and the exact commit it created,
  matched against the table's recent commits (``spark_lineage.versions.match_write``).
- :func:`delta_facts` - both, as JSON-compatible data for ``CapturedPlan.facts``.
- :func:`delta_copy` - what a RESTORE / SHALLOW CLONE copies (source snapshot, columns, target).
- :func:`delta_read_version` / :func:`delta_table_path` - the same for one leaf relation.

Py4J objects are typed ``Any``. Cost (measured, ~0.15-0.2 ms per py4j round trip): reads ~39
round trips for a one-leaf query (two short plan walks), ~156 for a four-read join with
subqueries; a write ~41 round trips plus one commit file read per candidate commit (a local read
for ``file:`` tables). See docs/delta-versions.md.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from spark_lineage.capture.handles import java_class, static_method
from spark_lineage.capture.leaves import plan_leaves
from spark_lineage.capture.scala import catalog_name, option, seq
from spark_lineage.capture.transfer import fetch_buffer
from spark_lineage.capture.versions import change_feed_table
from spark_lineage.model import JsonDict, VersionInfo
from spark_lineage.versions import (
    CREATE_OPERATIONS,
    EXACT,
    REPLACE_OPERATIONS,
    STREAMING_OPERATIONS,
    Commit,
    WriteFingerprint,
    match_write,
)
from spark_lineage.write_commands import CLONE_QUERY, DELTA_COPY_OPERATIONS, DELTA_DML_OPERATIONS

log = logging.getLogger(__name__)

JavaObject = Any

#: Exactly this class: ``StagedDeltaTableV2`` is the not-yet-committed table of a CTAS/RTAS, whose
#: nested ``AppendData`` is not a commit of its own (the CTAS/RTAS command makes the commit).
DELTA_TABLE_V2 = "org.apache.spark.sql.delta.catalog.DeltaTableV2"
DELTA_LOG = "org.apache.spark.sql.delta.DeltaLog"
#: Leaves whose node name is their class's simple name (logical plans, not physical ``...Exec``).
_LOGICAL_LEAVES = frozenset({"LogicalRelation", "DataSourceV2Relation"})

_INDEX_TO_STRING = re.compile(r"^Delta\[version=(-?\d+), (.*)\]$", re.DOTALL)
_METRIC_ENTRY = re.compile(r"(\w+) -> [\w.$]*\(id: -?\d+, name: .*?, value: (-?\d+)\)")
_PHASE_START = re.compile(r"PhaseSummary\((\d+), (\d+)\)")

#: How far before the query's start a commit timestamp may lie before the backward scan of the
#: log stops: covers other writers whose clocks run behind ours. It only bounds the work.
DEFAULT_SCAN_SKEW_MS = 5_000
#: Hard cap on commit files read for one write.
DEFAULT_MAX_COMMITS = 200


@dataclass(frozen=True, slots=True)
class DeltaRead:
    """A Delta table a query read: its root path, catalog name (if any) and the version read."""

    path: str
    table: str | None
    version: VersionInfo
    time_travel: bool = False

    def to_dict(self) -> JsonDict:
        return {
            "path": self.path,
            "table": self.table,
            "version": self.version.to_dict(),
            "time_travel": self.time_travel,
        }


@dataclass(frozen=True, slots=True)
class DeltaWrite:
    """A Delta table a command wrote and the commit it created.

    ``version`` is the resolved :class:`VersionInfo` (status ``exact``/``ambiguous``/``unknown``);
    ``read_version`` is the ``readVersion`` of that commit when exact (the snapshot the write's
    transaction actually read: the version to record for the target when the command also read
    it, as MERGE/UPDATE/DELETE do). ``fingerprint`` is what the match was made on.
    """

    path: str
    table: str | None
    command: str
    version: VersionInfo
    fingerprint: WriteFingerprint
    read_version: int | None = None
    scanned_commits: int = 0

    def to_dict(self) -> JsonDict:
        return {
            "path": self.path,
            "table": self.table,
            "command": self.command,
            "version": self.version.to_dict(),
            "fingerprint": self.fingerprint.to_dict(),
            "read_version": self.read_version,
            "scanned_commits": self.scanned_commits,
        }


@dataclass(frozen=True, slots=True)
class DeltaCopy:
    """A Delta command that writes a copy of a snapshot (RESTORE, SHALLOW CLONE), not a query.

    ``source`` is the snapshot copied (RESTORE: the table itself at the version restored; CLONE:
    the source table at the version cloned), with ``source_format`` (``delta``, or ``parquet``/
    ``iceberg`` for a clone of those; then the read has no version). ``columns`` are the
    snapshot's schema fields as Spark's JSON (``{"name", "type", ...}``): the written table gets
    exactly these columns. ``parameters`` are the ``commitInfo.operationParameters`` entries the
    command's commit must carry.
    """

    command: str
    target_path: str
    target_table: str | None
    source: DeltaRead
    source_format: str
    columns: tuple[JsonDict, ...]
    parameters: dict[str, str]


# --- reads ------------------------------------------------------------------------------------


def delta_table_path(leaf: JavaObject) -> str | None:
    """The root path of the Delta table behind a leaf relation, or None when it is not Delta.

    ``leaf`` is a ``LogicalRelation`` over a Delta file index (V1), a ``DataSourceV2Relation``
    over ``DeltaTableV2`` (V2), or a ``FileSourceScanExec`` of an executed plan.
    """
    facts = _leaf_facts(leaf)
    return facts.path if facts else None


def delta_read_version(leaf: JavaObject) -> VersionInfo | None:
    """The snapshot version a Delta leaf relation reads (None when the leaf is not Delta).

    V1: the file index's snapshot (``PreparedDeltaFileIndex`` in optimized plans: the snapshot
    actually scanned; ``TahoeLogFileIndex``: the snapshot at analysis, which is the time-travel
    target for ``versionAsOf``/``timestampAsOf``/``@v``/``VERSION AS OF``). V2: the
    ``DeltaTableV2`` initial snapshot (time travel applied).
    """
    facts = _leaf_facts(leaf)
    return facts.version if facts else None


def delta_reads(
    query_execution: JavaObject, analyzed_leaves: Sequence[tuple[Any, str]] | None = None
) -> tuple[DeltaRead, ...]:
    """Every Delta table the query read, once per (path, version), in plan order.

    The optimized plan says which snapshot was scanned (Delta pins it while preparing the scan,
    which can be later than analysis). The analyzed plan adds reads the optimizer answered
    without a scan (e.g. ``max(id)`` from Delta statistics): still inputs, at the analysed
    version (a table missing from the scan, or a time-travel version missing from it); it also
    tells which reads were time travel. Both walks include the inner plans of
    commands (the query of a CTAS/INSERT/save, the target of UPDATE/DELETE, source and target of
    MERGE) and all subqueries. A change data feed read (``readChangeFeed``, ``table_changes``)
    reports the range of versions whose changes it read. RESTORE and SHALLOW CLONE read the
    snapshot they copy (:func:`delta_copy`), a field of the command rather than a leaf.
    ``analyzed_leaves`` are the analyzed plan's leaves when the caller walked them already.
    """
    scanned = _delta_leaves(plan_leaves(query_execution.optimizedPlan()))
    analyzed_plan = query_execution.analyzed()
    if analyzed_leaves is None:
        analyzed_leaves = plan_leaves(analyzed_plan)
    analysed = _delta_leaves(analyzed_leaves)
    time_travel = {(r.path, r.version.version) for r in analysed if r.time_travel}
    reads = [
        DeltaRead(r.path, r.table, r.version, (r.path, r.version.version) in time_travel)
        for r in scanned
    ]
    scanned_paths = {r.path for r in scanned}
    scanned_versions = {(r.path, r.version.version) for r in scanned}
    reads.extend(
        r
        for r in analysed
        if r.path not in scanned_paths
        or (r.time_travel and (r.path, r.version.version) not in scanned_versions)
    )
    copy = _copy(query_execution, analyzed_plan)
    if copy is not None and copy.source_format == "delta":
        reads.append(copy.source)
    return tuple(reads)


def _delta_leaves(leaves: Sequence[tuple[Any, str]]) -> list[DeltaRead]:
    """Delta facts of a plan's leaves, once per (path, version, table)."""
    reads: list[DeltaRead] = []
    seen: set[tuple[str, int | None, str | None]] = set()
    for leaf, node in leaves:
        try:
            facts = _leaf_facts(leaf, node)
        except Exception:  # one odd leaf must not lose the others
            log.debug("could not read Delta facts of a leaf", exc_info=True)
            continue
        if facts is None:
            continue
        key = (facts.path, facts.version.version, facts.table)
        if key not in seen:
            seen.add(key)
            reads.append(facts)
    return reads


def _leaf_facts(leaf: JavaObject, node: str | None = None) -> DeltaRead | None:
    """``node``: the leaf's node name when the caller has it (a logical plan's node name is its
    class's simple name), which saves asking the JVM."""
    name = node if node in _LOGICAL_LEAVES else str(leaf.getClass().getSimpleName())
    if name in ("LogicalRelation", "FileSourceScanExec"):
        relation = leaf.relation()
        try:
            index = relation.location()
        except Exception:  # not a HadoopFsRelation: a change data feed, or not Delta
            if name == "LogicalRelation" and _is_change_feed(relation):
                return _change_feed_facts(leaf, relation)
            return None
        facts = _index_facts(index, None)
        if facts is None:
            return None
        if name == "LogicalRelation":
            table = catalog_name(leaf.catalogTable())
        else:
            identifier = leaf.tableIdentifier()
            table = str(identifier.get().unquotedString()) if identifier.isDefined() else None
        return DeltaRead(facts.path, table, facts.version, facts.time_travel)
    if name == "DataSourceV2Relation":
        table = leaf.table()
        if table.getClass().getName() != DELTA_TABLE_V2:
            return None
        return _table_v2_facts(table)
    return None


def _index_facts(index: JavaObject, table: str | None) -> DeltaRead | None:
    """Version and path of a Delta file index; None for any other file index.

    ``TahoeLogFileIndex.version``/``toString`` follow the table's *latest* snapshot when the read
    is not time travel, so the version read is its ``snapshotAtAnalysis``. The other Delta indexes
    (``PreparedDeltaFileIndex``, ``TahoeBatchFileIndex``...) hold one fixed snapshot.
    """
    text = str(index.toString())
    match = _INDEX_TO_STRING.match(text)
    if match is None:
        return None  # not a TahoeFileIndex (parquet, csv... or an unknown Delta index)
    version = int(match.group(1))
    path = match.group(2)
    if "..." in path or len(path) >= 95:  # TahoeFileIndex.toString truncates long paths
        path = str(index.path().toString())
    time_travel = False
    if index.getClass().getSimpleName() == "TahoeLogFileIndex":
        version = int(index.snapshotAtAnalysis().version())
        time_travel = bool(index.isTimeTravelQuery())
    return DeltaRead(
        path=path, table=table, version=VersionInfo(version=version), time_travel=time_travel
    )


def _is_change_feed(relation: JavaObject) -> bool:
    return str(relation.getClass().getSimpleName()) == "DeltaCDFRelation"


def change_feed_path(relation: JavaObject) -> str:
    """The table path of a change data feed relation (``DeltaCDFRelation``)."""
    return str(relation.snapshotWithSchemaMode().snapshot().deltaLog().dataPath().toString())


def _change_feed_facts(leaf: JavaObject, relation: JavaObject) -> DeltaRead:
    """A change data feed read: the changes of ``startingVersion`` .. ``endingVersion``.

    Without an ``endingVersion`` Delta reads up to the latest version when the scan runs; the
    version reported then is the snapshot the relation was analysed with (the latest one then).
    """
    snapshot = relation.snapshotWithSchemaMode().snapshot()
    ending = option(relation.endingVersion())
    starting = option(relation.startingVersion())
    table = catalog_name(leaf.catalogTable()) or change_feed_table(relation)
    return DeltaRead(
        path=change_feed_path(relation),
        table=table,
        version=VersionInfo(
            version=int(ending) if ending is not None else int(snapshot.version()),
            starting_version=int(starting) if starting is not None else None,
        ),
    )


def _table_v2_facts(table: JavaObject) -> DeltaRead:
    snapshot = table.initialSnapshot()
    return DeltaRead(
        path=str(table.deltaLog().dataPath().toString()),
        table=catalog_name(table.catalogTable()),
        version=VersionInfo(version=int(snapshot.version())),
        time_travel=bool(table.timeTravelOpt().isDefined()),
    )


# --- snapshot copies: RESTORE, SHALLOW CLONE ---------------------------------------------------


def delta_copy(query_execution: JavaObject) -> DeltaCopy | None:
    """The snapshot a RESTORE / SHALLOW CLONE copies and the table it writes; None otherwise."""
    return _copy(query_execution, query_execution.analyzed())


def _copy(query_execution: JavaObject, plan: JavaObject) -> DeltaCopy | None:
    name = str(plan.nodeName())
    if name not in DELTA_COPY_OPERATIONS:
        return None
    if DELTA_COPY_OPERATIONS[name] == "RESTORE":
        return _restore(plan, name)
    query = option(plan.query())
    if query is None or str(query.getClass().getSimpleName()) != CLONE_QUERY:
        return None  # CREATE TABLE ... LIKE: no data copied
    return _clone(query_execution, plan, query, name)


def _restore(plan: JavaObject, name: str) -> DeltaCopy:
    """``RESTORE t TO VERSION|TIMESTAMP AS OF``: ``sourceTable`` is ``t`` time-travelled there."""
    table = plan.sourceTable()
    source = _table_v2_facts(table)
    spec = option(table.timeTravelOpt())
    version = option(spec.version()) if spec is not None else None
    return DeltaCopy(
        command=name,
        target_path=source.path,
        target_table=source.table,
        source=source,
        source_format="delta",
        columns=_schema_fields(table.initialSnapshot().schema()),
        parameters={"version": str(version)} if version is not None else {},
    )


def _clone(qe: JavaObject, plan: JavaObject, query: JavaObject, name: str) -> DeltaCopy:
    """``CREATE TABLE c SHALLOW CLONE s [VERSION AS OF n]``: a ``CloneSource`` and a target."""
    cloned = query.sourceTable()
    source_format = str(cloned.format()).lower()  # CloneSourceFormat: "Delta", "Parquet"
    snapshot = option(cloned.snapshot())
    version = int(snapshot.version()) if snapshot is not None else None
    source = DeltaRead(
        path=str(cloned.dataPath().toString()),
        table=catalog_name(cloned.catalogTable()),
        version=VersionInfo(version=version),
        time_travel=bool(cloned.timeTravelOpt().isDefined()),
    )
    target_table = None
    if not bool(plan.tableByPath()):
        catalog = qe.sparkSession().sessionState().catalog()
        target_table = str(catalog.qualifyIdentifier(plan.table().identifier()).unquotedString())
    return DeltaCopy(
        command=name,
        target_path=delta_data_path(qe.sparkSession(), str(query.targetPath().toString())),
        target_table=target_table,
        source=source,
        source_format=source_format,
        columns=_schema_fields(cloned.schema()),
        parameters={"sourceVersion": str(version)} if version is not None else {},
    )


def _schema_fields(struct_type: JavaObject) -> tuple[JsonDict, ...]:
    """A ``StructType``'s fields as Spark's JSON (one round trip)."""
    return tuple(json.loads(str(struct_type.json())).get("fields") or ())


# --- writes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Window:
    started_at_ms: int | None
    ended_at_ms: int

    def fingerprint(
        self,
        operations: frozenset[str],
        *,
        parameters: dict[str, str] | None = None,
        metrics: dict[str, int] | None = None,
        after_version: int | None = None,
    ) -> WriteFingerprint:
        return WriteFingerprint(
            operations,
            started_at_ms=self.started_at_ms,
            ended_at_ms=self.ended_at_ms,
            after_version=after_version,
            parameters=parameters or {},
            metrics=metrics or {},
        )


@dataclass(frozen=True, slots=True)
class _WriteTarget:
    path: str
    table: str | None
    command: str
    fingerprint: WriteFingerprint


def resolve_delta_write(
    query_execution: JavaObject,
    ended_at_ms: int | None = None,
    started_at_ms: int | None = None,
    *,
    max_commits: int = DEFAULT_MAX_COMMITS,
    scan_skew_ms: int = DEFAULT_SCAN_SKEW_MS,
    batch_id: int | None = None,
) -> DeltaWrite | None:
    """The Delta table this command wrote and the commit it created; None if it wrote no Delta.

    Call it after the query finished, on the worker thread. ``ended_at_ms`` is a wall-clock time
    known to be after the query's end (the listener callback's time; default: now).
    ``started_at_ms`` is only a fallback for when Spark's planning tracker has no phase times.
    The commits read are those newer than what the command knew before writing, newest first,
    down to ``scan_skew_ms`` before the query's start (at most ``max_commits`` files). For a
    streaming micro-batch, ``batch_id`` names the batch whose commit is wanted (default: the
    plan's own batch).
    """
    target = _write_target(query_execution, ended_at_ms, started_at_ms, batch_id)
    if target is None:
        return None
    commits = list(
        _candidate_commits(
            query_execution.sparkSession(),
            target.path,
            target.fingerprint,
            max_commits=max_commits,
            scan_skew_ms=scan_skew_ms,
        )
    )
    version = match_write(target.fingerprint, commits)
    read_version = None
    if version.status == EXACT:
        read_version = next(c.read_version for c in commits if c.version == version.version)
    return DeltaWrite(
        path=target.path,
        table=target.table,
        command=target.command,
        version=version,
        fingerprint=target.fingerprint,
        read_version=read_version,
        scanned_commits=len(commits),
    )


def delta_facts(
    query_execution: JavaObject,
    ended_at_ms: int | None = None,
    analyzed_leaves: Sequence[tuple[Any, str]] | None = None,
    batch_id: int | None = None,
) -> JsonDict:
    """Delta reads and write of one query as plain JSON data, for ``CapturedPlan.facts``.

    ``{"delta_reads": [DeltaRead.to_dict()...], "delta_write": DeltaWrite.to_dict() | None,
    "delta_errors": [...]}``. Never raises: a failure in one half (e.g. the plan of a failed query
    cannot be analysed) is noted in ``delta_errors`` (and logged at debug level) and leaves the
    other half intact; the agent counts and logs errors once. ``analyzed_leaves``: the analyzed
    plan's leaves, when the caller walked them already (:func:`plan_leaves`).
    """
    facts: JsonDict = {"delta_reads": [], "delta_write": None, "delta_errors": []}
    try:
        reads = delta_reads(query_execution, analyzed_leaves)
        facts["delta_reads"] = [r.to_dict() for r in reads]
    except Exception as exc:
        log.debug("could not read the Delta versions a query read", exc_info=True)
        facts["delta_errors"].append(f"reads: {type(exc).__name__}: {exc}"[:500])
    try:
        write = resolve_delta_write(query_execution, ended_at_ms, batch_id=batch_id)
        facts["delta_write"] = write.to_dict() if write else None
    except Exception as exc:
        log.debug("could not resolve the Delta version a query wrote", exc_info=True)
        facts["delta_errors"].append(f"write: {type(exc).__name__}: {exc}"[:500])
    return facts


def _write_target(
    qe: JavaObject, ended_at_ms: int | None, started_at_ms: int | None, batch_id: int | None = None
) -> _WriteTarget | None:
    """Which Delta table the command writes and the fingerprint of its commit, from the plan."""
    plan = qe.analyzed()
    name = plan.getClass().getSimpleName()
    planned = _planning_started_ms(qe)
    window = _Window(
        started_at_ms=planned if planned is not None else started_at_ms,
        ended_at_ms=ended_at_ms if ended_at_ms is not None else int(time.time() * 1000),
    )
    if name == "SaveIntoDataSourceCommand":
        if "delta" not in str(plan.dataSource().getClass().getName()).lower():
            return None
        options = plan.options()
        path_opt = options.get("path")
        if not path_opt.isDefined():
            return None
        params = {"mode": str(plan.mode().name())}
        replace_where = options.get("replaceWhere")
        if replace_where.isDefined():
            params["predicate"] = str(replace_where.get())
        path = delta_data_path(qe.sparkSession(), str(path_opt.get()))
        return _WriteTarget(
            path, None, name, window.fingerprint(frozenset({"WRITE"}), parameters=params)
        )
    if name in ("AppendData", "OverwriteByExpression", "OverwritePartitionsDynamic"):
        table = plan.table().table()
        if table.getClass().getName() != DELTA_TABLE_V2:
            return None
        mode = "Append" if name == "AppendData" else "Overwrite"
        return _WriteTarget(
            str(table.deltaLog().dataPath().toString()),
            catalog_name(table.catalogTable()),
            name,
            window.fingerprint(frozenset({"WRITE"}), parameters={"mode": mode}),
        )
    if name in ("CreateTableAsSelect", "ReplaceTableAsSelect"):
        resolved = _created_table(plan.name())
        if resolved is None:
            return None
        operations = CREATE_OPERATIONS if name == "CreateTableAsSelect" else REPLACE_OPERATIONS
        path, table = resolved
        replace_where = _write_option(plan, "replaceWhere")
        if replace_where is None:
            return _WriteTarget(path, table, name, window.fingerprint(operations))
        # saveAsTable(mode="overwrite") with replaceWhere on an existing table is planned as a
        # RTAS, but Delta commits it as a WRITE of the matching rows only.
        return _WriteTarget(path, table, name, window.fingerprint(
            operations | {"WRITE"}, parameters={"mode": "Overwrite", "predicate": replace_where}))
    if name in DELTA_DML_OPERATIONS:
        return _dml_target(qe, plan, name, window)
    if name in DELTA_COPY_OPERATIONS:
        copy = delta_copy(qe)
        if copy is None:
            return None
        operations = frozenset({DELTA_COPY_OPERATIONS[name]})
        return _WriteTarget(
            copy.target_path,
            copy.target_table,
            name,
            window.fingerprint(operations, parameters=copy.parameters),
        )
    if name == "WriteToMicroBatchDataSourceV1":
        return _micro_batch_target(qe, plan, window, batch_id)
    return None


def _micro_batch_target(
    qe: JavaObject, plan: JavaObject, window: _Window, batch_id: int | None
) -> _WriteTarget | None:
    """A streaming micro-batch into Delta's sink: Delta commits it as ``STREAMING UPDATE`` with
    the query id and the batch id (``epochId``), which name exactly one commit per table."""
    sink = plan.sink()
    if sink.getClass().getSimpleName() != "DeltaSink":
        return None
    if batch_id is None:
        batch_id = option(plan.batchId())  # Option[Long]
    if batch_id is None:
        batch_id = qe.currentBatchId()
    parameters = {"queryId": str(plan.queryId()), "epochId": str(int(batch_id))}
    return _WriteTarget(
        delta_data_path(qe.sparkSession(), str(sink.path().toString())),
        catalog_name(plan.catalogTable()),
        "WriteToMicroBatchDataSourceV1",
        window.fingerprint(STREAMING_OPERATIONS, parameters=parameters),
    )


def _dml_target(qe: JavaObject, plan: JavaObject, name: str, window: _Window) -> _WriteTarget:
    """UPDATE / DELETE / MERGE: target snapshot analysed, and the command's SQL metrics."""
    operation = DELTA_DML_OPERATIONS[name]
    if operation == "UPDATE":
        index = plan.tahoeFileIndex()
    elif operation == "MERGE":
        index = plan.targetFileIndex()
    else:
        index = next(
            (
                leaf.relation().location()
                for leaf in seq(plan.target().collectLeaves())
                if leaf.getClass().getSimpleName() == "LogicalRelation"
            ),
            None,
        )
    after_version = None
    path = ""
    if index is not None:
        facts = _index_facts(index, None)
        if facts is not None:
            path, after_version = facts.path, facts.version.version
    if not path and operation == "DELETE":
        path = str(plan.deltaLog().dataPath().toString())
    executed = qe.executedPlan()
    command = (
        executed.cmd() if executed.getClass().getSimpleName() == "ExecutedCommandExec" else plan
    )
    return _WriteTarget(
        path,
        catalog_name(plan.catalogTable()),
        name,
        window.fingerprint(
            frozenset({DELTA_DML_OPERATIONS[name]}),
            after_version=after_version,
            metrics=_command_metrics(command),
        ),
    )


def _command_metrics(command: JavaObject) -> dict[str, int]:
    """The command's SQL metric values, parsed from one ``toString`` of its metrics map."""
    return {m.group(1): int(m.group(2)) for m in _METRIC_ENTRY.finditer(str(command.metrics()))}


def _planning_started_ms(qe: JavaObject) -> int | None:
    """Wall-clock start of the query's first planning phase (parsing/analysis), if recorded."""
    starts = [int(m.group(1)) for m in _PHASE_START.finditer(str(qe.tracker().phases()))]
    return min(starts) if starts else None


def _created_table(resolved_identifier: JavaObject) -> tuple[str, str | None] | None:
    """Path and catalog name of the table a CTAS/RTAS created (it exists by now)."""
    identifier = resolved_identifier.identifier()
    namespace = [str(n) for n in identifier.namespace()]
    name = str(identifier.name())
    if [n.lower() for n in namespace] == ["delta"]:
        return name, None
    table = resolved_identifier.catalog().loadTable(identifier)
    if table.getClass().getName() != DELTA_TABLE_V2:
        return None
    return str(table.deltaLog().dataPath().toString()), catalog_name(table.catalogTable())


def delta_data_path(spark_session: JavaObject, path: str) -> str:
    """``path`` as the DeltaLog names its data path (scheme added, normalised): the one way a
    Delta path the agent reports is spelled, for batch, streaming and DML writes alike."""
    delta_log = static_method(DELTA_LOG, "forTable")(spark_session, path)
    return str(delta_log.dataPath().toString())


# --- the log ----------------------------------------------------------------------------------


def _candidate_commits(
    spark_session: JavaObject,
    path: str,
    fingerprint: WriteFingerprint,
    *,
    max_commits: int,
    scan_skew_ms: int,
) -> Iterator[Commit]:
    """Commits newest first, from the latest down to the first one clearly before the query.

    The latest version is the DeltaLog's cached snapshot in this JVM (Delta updates it after our
    own commit, so it is at least ours) plus any newer commit files found by probing.
    """
    delta_log = static_method(DELTA_LOG, "forTable")(spark_session, path)
    reader = _LogReader(spark_session, str(delta_log.logPath().toString()))
    latest = int(delta_log.unsafeVolatileSnapshot().version())
    while reader.exists(latest + 1):
        latest += 1
    lowest = (fingerprint.after_version + 1) if fingerprint.after_version is not None else 0
    earliest_ms = (
        fingerprint.started_at_ms - scan_skew_ms if fingerprint.started_at_ms is not None else None
    )
    for read, version in enumerate(range(latest, lowest - 1, -1)):
        if read >= max_commits:
            log.info("stopped reading %s after %d commits", path, read)
            return
        text = reader.read(version)
        if text is None:  # cleaned up by log retention: nothing older is readable either
            return
        commit = Commit.from_log_text(version, text)
        yield commit
        ts = commit.timestamp_ms
        if earliest_ms is not None and ts is not None and ts < earliest_ms:
            return


class _LogReader:
    """Reads ``_delta_log/<version>.json`` files: locally for ``file:`` paths, else Hadoop FS."""

    def __init__(self, spark_session: JavaObject, log_path: str) -> None:
        self._session = spark_session
        self._log_path = log_path
        parsed = urlparse(log_path)
        self._local = unquote(parsed.path) if parsed.scheme in ("", "file") else None
        self._fs: JavaObject = None

    def _file(self, version: int) -> str:
        return f"{version:020d}.json"

    def exists(self, version: int) -> bool:
        if self._local is not None:
            return os.path.exists(os.path.join(self._local, self._file(version)))
        fs, path = self._hadoop(version)
        return bool(fs.exists(path))

    def read(self, version: int) -> str | None:
        if self._local is not None:
            try:
                with open(os.path.join(self._local, self._file(version)), encoding="utf-8") as f:
                    return f.read()
            except FileNotFoundError:
                return None
        fs, path = self._hadoop(version)
        if not fs.exists(path):
            return None
        stream = fs.open(path)
        try:
            writer = java_class("java.io.StringWriter")()
            static_method("org.apache.commons.io.IOUtils", "copy")(stream, writer, "UTF-8")
            return fetch_buffer(writer.getBuffer())  # a commit file can be MBs: no py4j stall
        finally:
            stream.close()

    def _hadoop(self, version: int) -> tuple[JavaObject, JavaObject]:
        path = java_class("org.apache.hadoop.fs.Path")(f"{self._log_path}/{self._file(version)}")
        if self._fs is None:
            self._fs = path.getFileSystem(self._session.sessionState().newHadoopConf())
        return self._fs, path


# --- small py4j helpers -----------------------------------------------------------------------


def _write_option(plan: JavaObject, key: str) -> str | None:
    """A CTAS/RTAS write option (``writeOptions``), matched without regard to case."""
    try:
        options = plan.writeOptions()
        for candidate in (key, key.lower()):
            value = option(options.get(candidate))
            if value is not None:
                return str(value)
    except Exception:  # another Spark build without writeOptions: no option, as before
        return None
    return None


__all__ = [
    "DeltaCopy",
    "DeltaRead",
    "DeltaWrite",
    "change_feed_path",
    "delta_copy",
    "delta_facts",
    "delta_read_version",
    "delta_reads",
    "delta_table_path",
    "resolve_delta_write",
]
