"""Writes LineageEvents into Neo4j: one managed transaction per event, batched UNWIND/MERGE rows.

Each event becomes a few statements in one transaction (run, datasets+columns, reads/writes
with versions, version labels, column edges, dataset-wide edges, model), each shipping all its
rows at once with ``UNWIND $rows``; very wide events are cut into chunks of ``chunk_size``
edges. The driver's managed transactions (``execute_write``) retry transient failures
(deadlocks between concurrent writers, leader switches, connection resets) with back-off.

Idempotency: every node and relationship is MERGEd on a uniqueness-constrained key, time fields
only move outward (min/max) and the per-edge run counter counts each run id once (the event digest
is recorded on the run, and each edge remembers its most recent run ids). Delivering the same
event twice leaves the graph unchanged; by default the second delivery stops after the first
statement, because the run says the event was applied.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_lineage.graph.queries import (
    LOCK_MODEL_NAME,
    WRITE_COLUMN_EDGES,
    WRITE_DATASET_EDGES,
    WRITE_DATASETS,
    WRITE_IO,
    WRITE_MODEL,
    WRITE_RUN,
    WRITE_VERSION_LABELS,
)
from spark_lineage.graph.rows import EventRows, Row, event_rows
from spark_lineage.graph.schema import ensure_schema
from spark_lineage.model import LineageEvent

if TYPE_CHECKING:
    import neo4j

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 5000


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What one event write did: whether it was new, and how many column edges it carried."""

    run_id: str
    already_applied: bool
    column_edges: int


class GraphWriter:
    """Maps events to rows and writes them; ensures the schema once per writer (per process).

    The writer does not own the driver: whoever opened it closes it.
    """

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str | None = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        skip_applied: bool = True,
    ) -> None:
        self._driver = driver
        self._database = database
        self._chunk_size = chunk_size
        self._skip_applied = skip_applied
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def ensure_schema(self) -> None:
        """Create constraints and indexes if this writer has not checked them yet."""
        with self._schema_lock:
            if not self._schema_ready:
                ensure_schema(self._driver, self._database)
                self._schema_ready = True

    def write(self, event: LineageEvent) -> WriteResult:
        """Write one event in one managed transaction (retried on transient errors)."""
        self.ensure_schema()
        rows = event_rows(event)
        with self._driver.session(database=self._database) as session:
            already = session.execute_write(self._write_rows, rows)
        return WriteResult(event.run_id, already, len(rows.edges))

    def write_many(self, events: Iterable[LineageEvent]) -> list[WriteResult]:
        """Write events in order, one transaction each (the first failure propagates)."""
        return [self.write(event) for event in events]

    def _write_rows(self, tx: neo4j.ManagedTransaction, rows: EventRows) -> bool:
        record = tx.run(WRITE_RUN.text, run=rows.run).single(strict=True)
        already_applied = bool(record["already_applied"])
        if already_applied and self._skip_applied:
            return True
        run_id = rows.run["run_id"]
        event_time = rows.run["event_time"]
        if rows.datasets:
            tx.run(WRITE_DATASETS.text, datasets=rows.datasets).consume()
        if rows.io:
            tx.run(WRITE_IO.text, io=rows.io, run_id=run_id, event_time=event_time).consume()
        if rows.labels:
            tx.run(WRITE_VERSION_LABELS.text, labels=rows.labels).consume()
        edge_params: dict[str, Any] = {
            "run_id": run_id,
            "job_key": rows.run["job_key"],
            "event_time": event_time,
            "count_run": not already_applied,
        }
        for chunk in _chunks(rows.edges, self._chunk_size):
            tx.run(WRITE_COLUMN_EDGES.text, edges=chunk, **edge_params).consume()
        for chunk in _chunks(rows.dataset_edges, self._chunk_size):
            tx.run(WRITE_DATASET_EDGES.text, edges=chunk, **edge_params).consume()
        if rows.model is not None:
            tx.run(LOCK_MODEL_NAME.text, name=rows.model["name"], run_id=run_id).consume()
            tx.run(WRITE_MODEL.text, model=rows.model, run_id=run_id).consume()
        return already_applied


def _chunks(rows: Sequence[Row], size: int) -> Iterable[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
