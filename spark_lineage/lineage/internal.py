"""Which listener events are the engine talking to itself rather than the user's queries.

Delta (and Spark) run queries of their own that reach every QueryExecutionListener: Delta's
``deltaTransactionalWrite`` (the inner write of a command whose own event carries the lineage),
``Cache Delta Table State ...`` snapshot reads of ``_delta_log``, and ``collect``/``head`` over
the RDDs of its log state while planning (the agent recognises most of the last kind before
their capture: ``spark_lineage.capture.probe``). They carry no lineage a user asked for, and
turning each into a Run would bury the real ones in the graph. A user's read-only query (even
over in-memory data such as ``spark.range(5).count()``) is not internal: whether to report those
is the ``spark.lineage.emit.readOnly`` setting's job.

A streaming micro-batch (:data:`MICRO_BATCH`, from ``spark_lineage.capture.streams``) into a sink
that is no dataset (``foreachBatch``, ``memory``, ``console``) is internal too: the writes inside
a ``foreachBatch`` function are queries of their own and carry the lineage.
"""

from __future__ import annotations

from spark_lineage.dataset_names import MEMORY
from spark_lineage.model import DatasetRef, QueryLineage

#: Function names of queries an engine runs for itself (exact, or as a prefix).
INTERNAL_FUNCTIONS = ("deltaTransactionalWrite",)
INTERNAL_FUNCTION_PREFIXES = ("Cache Delta Table State",)
#: Function name under which the agent reports a streaming query's micro-batch.
MICRO_BATCH = "microBatch"
_DELTA_LOG = "/_delta_log"


def is_internal_function(function_name: str) -> bool:
    """True when the name alone says the engine ran the query for itself: the agent then skips
    it before capture (no plan is read out of the JVM for it)."""
    return function_name in INTERNAL_FUNCTIONS or function_name.startswith(
        INTERNAL_FUNCTION_PREFIXES
    )


def is_engine_internal(function_name: str, lineage: QueryLineage) -> bool:
    """True for the engine's own queries: internal names, or reads of engine state only."""
    if is_internal_function(function_name):
        return True
    if function_name == MICRO_BATCH:
        return not lineage.outputs
    if lineage.outputs or not lineage.inputs:
        return False
    return all(_is_engine_state(item.dataset) for item in lineage.inputs)


def _is_engine_state(dataset: DatasetRef) -> bool:
    """A Delta log file, or an in-memory RDD (how Delta holds its log state while planning)."""
    if _DELTA_LOG in dataset.name:
        return True
    return dataset.namespace == MEMORY and dataset.name.startswith("rdd/")
