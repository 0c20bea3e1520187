"""Which listener events are the engine talking to itself rather than the user's queries.

Delta (and Spark) run queries of their own that reach every QueryExecutionListener: Delta's
``deltaTransactionalWrite`` (the inner write of a command whose own event carries the lineage),
``Cache Delta Table State ...`` snapshot reads of ``_delta_log``, and ``collect``/``head`` over
in-memory state while planning. They carry no lineage a user asked for, and turning each into a
Run would bury the real ones in the graph. A read-only query whose every input is in memory
(``spark.range(5).collect()``) has no dataset lineage either.
"""

from __future__ import annotations

from spark_lineage.lineage.datasets import MEMORY
from spark_lineage.model import QueryLineage

#: Function names of queries an engine runs for itself (exact, or as a prefix).
INTERNAL_FUNCTIONS = ("deltaTransactionalWrite",)
INTERNAL_FUNCTION_PREFIXES = ("Cache Delta Table State",)
_DELTA_LOG = "/_delta_log"


def is_engine_internal(function_name: str, lineage: QueryLineage) -> bool:
    """True for the engine's own queries and read-only queries with no dataset input."""
    if function_name in INTERNAL_FUNCTIONS or function_name.startswith(INTERNAL_FUNCTION_PREFIXES):
        return True
    if lineage.outputs:
        return False
    return all(
        item.dataset.namespace == MEMORY or _DELTA_LOG in item.dataset.name
        for item in lineage.inputs
    )
