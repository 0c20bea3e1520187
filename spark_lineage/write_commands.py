"""The write commands Spark reports: one table, read by capture and by lineage.

One logical write can reach the listener as several queries, innermost first. What is known, on
Spark 4.1 with Delta 4.4 (seen with a Hive metastore and with the in-memory catalog):

- Delta ``saveAsTable`` (create or overwrite) and ``CREATE [OR REPLACE] TABLE ... AS SELECT``:
  first ``AppendData`` / ``OverwriteByExpression`` into a ``StagedDeltaTableV2`` (no location,
  no commit of its own), then the ``CreateTableAsSelect`` / ``ReplaceTableAsSelect`` that
  commits. A write into a *staged* table is always such an inner step
  (:attr:`WriteStep.INNER`): its event is left out, the outer command's event has everything it
  had and more.
- parquet (any file source) ``saveAsTable``: ``InsertIntoHadoopFsRelationCommand``, then
  ``CreateDataSourceTableAsSelectCommand``, then ``SaveAsV1TableCommand``, all into the same
  location. ``CREATE TABLE ... USING parquet AS SELECT`` gives the first two. The listener does
  not say which query ran inside which, so the commands that can be an inner step are
  :attr:`WriteStep.NESTABLE`: the agent holds their event briefly and folds it into the
  enclosing write of the same dataset (:mod:`spark_lineage.coalesce`).
- Hive-format tables (``STORED AS``, with Hive support): ``INSERT`` / ``insertInto`` is one
  ``InsertIntoHiveTable``, or one ``InsertIntoHadoopFsRelationCommand`` where Spark converts the
  table to a file source (parquet/ORC, ``spark.sql.hive.convertMetastoreParquet/Orc``, on by
  default). ``CREATE TABLE ... STORED AS ... AS SELECT`` is ``CreateHiveTableAsSelectCommand``
  (Spark 4.1; 3.5 has ``OptimizedCreateHiveTableAsSelectCommand`` when it converts) around one
  of those two inserts; a Hive ``saveAsTable`` adds ``SaveAsV1TableCommand`` around that. Every
  step names the table's location, so the steps fold like a parquet ``saveAsTable``.

Each command that holds plans in plain fields (not children) names them here too, so that the
capture walks them (``CommandShape.nested_plans``); Delta's DML commands name the operation
their commit is recorded under (``CommandShape.delta_operation``).

Delta also writes tables without a query, as a copy of a snapshot
(``CommandShape.copies_snapshot``): ``RESTORE TABLE t TO VERSION AS OF n`` is a
``RestoreTableCommand`` (its ``sourceTable`` is ``t`` time-travelled to ``n``), and
``CREATE [OR REPLACE] TABLE c SHALLOW CLONE s [VERSION AS OF n]`` is a ``CreateDeltaTableCommand``
whose ``query`` is a :data:`CLONE_QUERY` (a ``CreateDeltaTableCommand`` without one is
``CREATE TABLE ... LIKE``, which writes no data). Delta OSS has no ``DEEP CLONE`` (a parse error
in SQL, ``unsupportedDeepCloneException`` in the ``DeltaTable`` API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spark_lineage.model import WriteStep

__all__ = [
    "CLONE_QUERY",
    "COMMANDS",
    "DELTA_COPY_OPERATIONS",
    "DELTA_DML_OPERATIONS",
    "NESTED_PLAN_FIELDS",
    "STAGED_TABLE_KINDS",
    "CommandShape",
    "write_step",
]


@dataclass(frozen=True, slots=True)
class CommandShape:
    """What the project knows about one write command class (by simple name)."""

    #: Fields (JVM getters) holding plans that are not children of the command.
    nested_plans: tuple[str, ...] = ()
    #: May run inside an enclosing write of the same dataset, reported right after it.
    nestable: bool = False
    #: Delta commits of this command carry this operation name.
    delta_operation: str | None = None
    #: Writes a copy of a Delta snapshot (its columns unchanged), not the result of a query.
    copies_snapshot: bool = False


COMMANDS: Mapping[str, CommandShape] = {
    # V1 file sources and Hive
    "InsertIntoHadoopFsRelationCommand": CommandShape(nestable=True),
    "InsertIntoHiveTable": CommandShape(nestable=True),
    "SaveIntoDataSourceCommand": CommandShape(nested_plans=("query",), nestable=True),
    "CreateDataSourceTableAsSelectCommand": CommandShape(nested_plans=("query",), nestable=True),
    "CreateHiveTableAsSelectCommand": CommandShape(nested_plans=("query",), nestable=True),
    "OptimizedCreateHiveTableAsSelectCommand": CommandShape(nested_plans=("query",), nestable=True),
    "SaveAsV1TableCommand": CommandShape(nested_plans=("query",)),
    # V2 (Delta's catalog tables)
    "CreateTableAsSelect": CommandShape(nested_plans=("query",)),
    "ReplaceTableAsSelect": CommandShape(nested_plans=("query",)),
    # Delta DML
    "MergeIntoCommand": CommandShape(nested_plans=("source", "target"), delta_operation="MERGE"),
    "UpdateCommand": CommandShape(nested_plans=("target",), delta_operation="UPDATE"),
    "DeleteCommand": CommandShape(nested_plans=("target",), delta_operation="DELETE"),
    # Delta copies of a snapshot: RESTORE, SHALLOW CLONE
    "RestoreTableCommand": CommandShape(delta_operation="RESTORE", copies_snapshot=True),
    "CreateDeltaTableCommand": CommandShape(delta_operation="CLONE", copies_snapshot=True),
}

#: The ``query`` of a ``CreateDeltaTableCommand`` that clones a table.
CLONE_QUERY = "CloneTableCommand"

#: command name -> the plan fields the capture walks besides the children.
NESTED_PLAN_FIELDS: Mapping[str, tuple[str, ...]] = {
    name: shape.nested_plans for name, shape in COMMANDS.items() if shape.nested_plans
}

#: Delta DML command name -> the operation of its commit.
DELTA_DML_OPERATIONS: Mapping[str, str] = {
    name: shape.delta_operation
    for name, shape in COMMANDS.items()
    if shape.delta_operation and not shape.copies_snapshot
}

#: Delta command name -> the operation of its commit, for the commands that copy a snapshot.
DELTA_COPY_OPERATIONS: Mapping[str, str] = {
    name: shape.delta_operation
    for name, shape in COMMANDS.items()
    if shape.delta_operation and shape.copies_snapshot
}

#: V2 tables that exist only inside a CTAS/RTAS that is being executed.
STAGED_TABLE_KINDS = frozenset({"StagedDeltaTableV2"})


def write_step(write_fact: Mapping[str, Any] | None) -> WriteStep:
    """Where the captured write (capture's ``write`` fact) stands in its logical write."""
    if not write_fact:
        return WriteStep.WHOLE
    if write_fact.get("target_kind") in STAGED_TABLE_KINDS:
        return WriteStep.INNER
    shape = COMMANDS.get(str(write_fact.get("node") or ""))
    if shape is not None and shape.nestable:
        return WriteStep.NESTABLE
    return WriteStep.WHOLE
