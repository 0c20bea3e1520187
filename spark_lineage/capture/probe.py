"""A cheap look at a query before its capture: is it Delta reading its own log state?

While it plans a read or a write, Delta runs ``collect``, ``head`` and ``count`` over the RDDs
that hold a table's log state, and each of them reaches every ``QueryExecutionListener``. On the
benchmark pipeline they are more than half of the queries the agent would capture (54 of 102),
and more than half of its worker time: their plans are small, but Spark builds each plan's JSON
from scratch. Their events are dropped in the end anyway
(:func:`spark_lineage.lineage.internal.is_engine_internal`: a read of in-memory RDDs only, with
no output), so the probe drops them before the capture, with a handful of py4j calls instead of
the plan's JSON.

The probe answers True only when the full capture would give the same verdict:

* the query ran as a read-only Dataset action (:data:`READ_ACTIONS`: never a write);
* every leaf of its analyzed plan is a ``LogicalRDD`` and it has no subquery;
* the session runs no streaming query (a ``foreachBatch`` DataFrame is a ``LogicalRDD`` too, and
  its lineage is the stream's sources, so then the capture decides).

Anything else, or any error while looking, answers False: the query is captured as before.
"""

from __future__ import annotations

from typing import Any

from spark_lineage.capture.streams import StreamRegistry

#: Function names of Dataset actions that only read (``withAction`` names in Spark 3.5-4.x).
READ_ACTIONS = frozenset(
    {"collect", "collectToPython", "count", "head", "tail", "toLocalIterator", "take"}
)
#: Plans with more leaves than this are captured without probing (engine state has one or two).
_MAX_LEAVES = 4


def reads_engine_state_only(query_execution: Any, function_name: str,
                            streams: StreamRegistry) -> bool:
    """True when the query is a read-only action over in-memory RDDs only (see the module)."""
    if function_name not in READ_ACTIONS or streams.executions():
        return False
    try:
        plan = query_execution.analyzed()
        if int(plan.subqueriesAll().size()) != 0:
            return False
        leaves = plan.collectLeaves()
        count = int(leaves.size())
        if not 0 < count <= _MAX_LEAVES:
            return False
        return all(str(leaves.apply(i).nodeName()) == "LogicalRDD" for i in range(count))
    except Exception:  # py4j errors, another Spark's plan API: capture it as usual
        return False


__all__ = ["READ_ACTIONS", "reads_engine_state_only"]
