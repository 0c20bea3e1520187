"""The write commands Spark reports, and which of them are one step of another write.

One logical write can reach the listener as several queries, innermost first. What is known, on
Spark 4.1 with Delta 4.4 (seen with a Hive metastore and with the in-memory catalog):

- Delta ``saveAsTable`` (create or overwrite) and ``CREATE [OR REPLACE] TABLE ... AS SELECT``:
  first ``AppendData`` / ``OverwriteByExpression`` into a ``StagedDeltaTableV2`` (no location,
  no commit of its own), then the ``CreateTableAsSelect`` / ``ReplaceTableAsSelect`` that
  commits. The CTAS/RTAS event carries the write: location, table name, commit and lineage.
- parquet ``saveAsTable``: ``InsertIntoHadoopFsRelationCommand``, then
  ``CreateDataSourceTableAsSelectCommand``, then ``SaveAsV1TableCommand``. All three name the
  same location, so they are one dataset; making them one event needs their nesting, which the
  listener does not report (not done yet).

A write into a *staged* table is always the inner step of a CTAS/RTAS: the staged table is the
not-yet-committed table that the outer command commits. Its event is left out (counted as
filtered); the outer command's event has everything it had and more.

Capture records the V2 target's class as ``target_kind`` in the write fact; the lineage layer
reads this table to flag the query (:attr:`QueryLineage.inner_write`); the agent drops it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: V2 tables that exist only inside a CTAS/RTAS that is being executed.
STAGED_TABLE_KINDS = frozenset({"StagedDeltaTableV2"})


def is_inner_write(write_fact: Mapping[str, Any] | None) -> bool:
    """True when the captured write goes into a staged table (the inner step of a CTAS/RTAS)."""
    if not write_fact:
        return False
    return write_fact.get("target_kind") in STAGED_TABLE_KINDS
