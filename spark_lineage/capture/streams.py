"""Structured Streaming: the micro-batches a streaming query runs, as queries the agent can capture.

What Spark 4.1 tells a ``QueryExecutionListener`` about a micro-batch (observed, Delta 4.4):

- a V1 sink (``FileStreamSink`` behind ``format("parquet").start(path)`` or ``toTable`` of a file
  table, Delta's ``DeltaSink``, ``foreachBatch``): **nothing** for the batch itself. The batch
  runs under ``SQLExecution.withNewExecutionId`` without a name, and the listener only hears of
  named executions. (Delta's own commit query arrives as ``deltaTransactionalWrite``, an engine
  query the agent skips by name.)
- a V2 sink (``memory``, ``console``): a ``collect`` whose plan is ``WriteToMicroBatchDataSource``.

So streams are followed through a ``StreamingQueryListener`` (:class:`StreamListener`):
``onQueryStarted`` (Spark calls it synchronously on the query's thread, while the query is
registered as active) keeps the query's ``StreamExecution``; ``onQueryProgress`` (after each
micro-batch) hands that query's ``lastExecution`` (an ``IncrementalExecution``: a
``QueryExecution`` whose analyzed plan is ``WriteToMicroBatchDataSourceV1`` over the batch's
query, with the sources replaced by the batch's relations) to the agent as a query named
:data:`MICRO_BATCH`. Capture and lineage then treat it like any write.

``foreachBatch``: the function gets the batch as a ``LogicalRDD`` made from the batch's plan
(``LogicalRDD.fromDataset``), whose output attributes are the batch plan's own (same exprIds).
:meth:`StreamRegistry.batch_for` finds the stream whose batch plan produces those attributes, so
that capture can put the batch plan under the ``LogicalRDD`` and lineage reaches the stream's
sources. A stream's plan is fixed when it starts (only the source offsets change per batch), so
any of its batches resolves the attributes the same way.

``lastExecution`` is read when the progress event arrives: if the next batch has started by then,
it is that batch's plan, which gives the same lineage (the plan is fixed when the stream starts).
What differs per batch is taken from the progress event instead: its batch id
(:attr:`PendingQuery.batch_id`), by which capture finds the Delta commit of exactly that batch.
Each (query, batch) is reported once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pyspark.sql.streaming.listener import StreamingQueryListener

from spark_lineage.capture.listener import PendingQuery
from spark_lineage.lineage.internal import MICRO_BATCH

log = logging.getLogger(__name__)

#: How many streaming queries (active or ended) the registry remembers, newest kept.
DEFAULT_KEEP = 32
#: The plan class of a micro-batch into a V1 sink.
MICRO_BATCH_WRITE = "WriteToMicroBatchDataSourceV1"


class StreamRegistry:
    """The streaming queries this session started: their JVM ``StreamExecution``, newest last.

    Thread-safe: the listener adds from Spark's threads, capture reads on the agent's worker.
    """

    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._executions: OrderedDict[str, Any] = OrderedDict()
        self._reported: dict[str, int] = {}
        self._output_ids: dict[str, int] = {}  # query id -> first output exprId of its batch plan

    def add(self, query_id: str, execution: Any) -> None:
        with self._lock:
            self._executions[query_id] = execution
            self._executions.move_to_end(query_id)
            while len(self._executions) > self._keep:
                old, _ = self._executions.popitem(last=False)
                self._reported.pop(old, None)
                self._output_ids.pop(old, None)

    def get(self, query_id: str) -> Any:
        with self._lock:
            return self._executions.get(query_id)

    def first_report(self, query_id: str, batch_id: int) -> bool:
        """True the first time a batch of the query is reported (later or equal ids: False)."""
        with self._lock:
            if self._reported.get(query_id, -1) >= batch_id:
                return False
            self._reported[query_id] = batch_id
            return True

    def executions(self) -> list[Any]:
        """The ``StreamExecution``s remembered, newest first."""
        with self._lock:
            return list(reversed(self._executions.values()))

    def batch_for(self, first_expr_id: int) -> Any:
        """The latest ``IncrementalExecution`` of a stream whose batch query outputs the attribute
        ``first_expr_id`` first (the output of a ``foreachBatch`` DataFrame), or None."""
        with self._lock:
            candidates = list(reversed(self._executions.items()))
        for query_id, execution in candidates:
            batch = execution.lastExecution()
            if batch is None:
                continue
            known = self._output_ids.get(query_id)
            if known is None:
                known = _first_output_id(batch_query(batch))
                if known is None:
                    continue
                with self._lock:
                    self._output_ids[query_id] = known
            if known == first_expr_id:
                return batch
        return None


def batch_query(batch: Any) -> Any:
    """The query under a micro-batch's write node (the plan a ``foreachBatch`` DataFrame has)."""
    plan = batch.analyzed()
    if str(plan.nodeName()) == MICRO_BATCH_WRITE:
        return plan.query()
    return plan


def _first_output_id(plan: Any) -> int | None:
    output = plan.output()
    return None if output.isEmpty() else int(output.head().exprId().id())


class StreamListener(StreamingQueryListener):
    """Keeps each started stream in the registry and offers each finished micro-batch.

    Never raises into Spark: every callback catches everything (logged at debug level).
    """

    def __init__(
        self, spark: Any, registry: StreamRegistry, offer: Callable[[PendingQuery], bool]
    ) -> None:
        self._spark = spark
        self._registry = registry
        self._offer = offer

    def onQueryStarted(self, event: Any) -> None:
        try:
            query = self._spark._jsparkSession.streams().get(str(event.id))
            if query is not None:
                self._registry.add(str(event.id), query.streamingQuery())
        except BaseException:
            log.debug("spark-lineage: could not register a streaming query", exc_info=True)

    def onQueryProgress(self, event: Any) -> None:
        try:
            progress = event.progress
            execution = self._registry.get(str(progress.id))
            batch = execution.lastExecution() if execution is not None else None
            batch_id = int(progress.batchId)
            if batch is None or not self._registry.first_report(str(progress.id), batch_id):
                return
            duration_ms = (progress.durationMs or {}).get("triggerExecution")
            self._offer(
                PendingQuery(
                    function_name=MICRO_BATCH,
                    query_execution=batch,
                    duration_ns=None if duration_ms is None else int(duration_ms) * 1_000_000,
                    ended_at_ns=time.time_ns(),
                    batch_id=batch_id,
                )
            )
        except BaseException:
            log.debug("spark-lineage: could not read a micro-batch", exc_info=True)

    def onQueryIdle(self, event: Any) -> None:
        pass

    def onQueryTerminated(self, event: Any) -> None:
        pass  # kept in the registry: foreachBatch writes may still be waiting for capture


def register_stream_listener(
    spark: Any, registry: StreamRegistry, offer: Callable[[PendingQuery], bool]
) -> StreamListener:
    """Add a :class:`StreamListener` to ``spark.streams``; :func:`unregister_stream_listener`
    removes it."""
    listener = StreamListener(spark, registry, offer)
    spark.streams.addListener(listener)
    return listener


def unregister_stream_listener(spark: Any, listener: StreamListener) -> None:
    """Remove a listener; harmless when the session is already gone."""
    try:
        spark.streams.removeListener(listener)
    except Exception:
        log.debug("spark-lineage: removing the streaming listener failed", exc_info=True)
