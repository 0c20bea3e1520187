"""The Neo4j sink: writes each event into the lineage graph, spooling it when Neo4j cannot take it.

Behaviour (the sink contract is in :mod:`spark_lineage.sinks.base`):

* ``emit`` writes the event at once (one managed transaction, see
  :class:`~spark_lineage.graph.writer.GraphWriter`). When Neo4j is unreachable or rejects the
  write, the event is appended to the durable local spool (:mod:`spark_lineage.sinks.spool`) and
  the sink enters *degraded* mode: later events go straight to the spool, so ``emit`` stays fast,
  and order is kept. After a back-off (1 s doubling up to ``retry.max``), the next ``emit`` tries
  to deliver the spool in order, then resumes direct writes; a ``flush`` with a timeout other than
  0 is an explicit request to deliver (the agent's close) and tries at once.
* On the first ``emit``/``flush`` the sink also delivers what earlier processes left in the spool
  (files no live process owns) -- "automatically on the next start".
* ``emit`` raises only when the spool itself cannot store the event (disk full): that is the one
  case where an event would be lost, and the agent counts it. The sink also counts it
  (``lost``), logs an ERROR naming the spool directory when a run of losses starts, and a
  WARNING with the number lost when the spool takes events again.
* ``job_names`` reads the names the graph already gives the application's jobs
  (:mod:`spark_lineage.graph.job_memory`), so that a new run names path outputs as earlier runs
  did; when Neo4j cannot answer it says so in one line and knows none.
* ``close`` tries a last delivery within its timeout and never raises; whatever is left stays in
  the spool for the next start or ``spark-lineage replay``.

Settings (``spark.lineage.neo4j.*``; each also from ``SPARK_LINEAGE_NEO4J_*``): ``uri``, ``user``,
``password``, ``database`` (read as the CLI reads them, with the config file's ``[neo4j]`` last:
:func:`~spark_lineage.graph.settings.settings_from_spark_conf`), ``spool.dir``,
``connection.timeout`` (s), ``retry.max`` (s), ``batch.size`` (rows per UNWIND statement; very wide
events are cut into several statements), ``write.timeout`` (s, default 10): how long one write (plus
2 ms per column edge), or the read of earlier job names, may go unanswered before the sink abandons
the connection and spools the event (:mod:`spark_lineage.sinks.deadline`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from spark_lineage.config import ConfigError
from spark_lineage.graph.connection import (
    DriverOptions,
    describe_failure,
    is_event_rejection,
    open_driver,
)
from spark_lineage.graph.job_memory import job_output_names
from spark_lineage.graph.settings import (
    CONNECTION_KEYS,
    Neo4jSettings,
    SettingsError,
    default_spool_dir,
    settings_from_spark_conf,
)
from spark_lineage.graph.writer import DEFAULT_CHUNK_SIZE, GraphWriter
from spark_lineage.model import DatasetRef, LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.deadline import WriteTimeout, call_with_deadline, write_deadline_s
from spark_lineage.sinks.spool import Spool, SpoolError

if TYPE_CHECKING:
    import neo4j

log = logging.getLogger(__name__)
T = TypeVar("T")

KNOWN_KEYS = (
    "uri",
    "user",
    "password",
    "database",
    "spool.dir",
    "connection.timeout",
    "retry.max",
    "batch.size",
    "write.timeout",
)


class Neo4jSink(Sink):
    """Delivers events to Neo4j; spools them durably while Neo4j cannot take them."""

    type_name = "neo4j"

    def __init__(
        self,
        settings: Neo4jSettings,
        spool_dir: Path,
        *,
        options: DriverOptions | None = None,
        retry_max_s: float = 60.0,
        batch_size: int = DEFAULT_CHUNK_SIZE,
        write_timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` (seconds, monotonic) times the back-off; tests pass one they advance."""
        self.settings = settings
        self.spool = Spool(spool_dir)
        self._options = options or DriverOptions(
            connection_timeout_s=3.0, max_transaction_retry_time_s=5.0
        )
        self._batch_size = batch_size
        self._write_timeout_s = write_timeout_s
        self._driver = open_driver(settings, self._options)
        self._writer = GraphWriter(self._driver, settings.database, chunk_size=batch_size)
        self.abandoned = 0  # connections given up after a write deadline passed
        self._retry_max_s = retry_max_s
        self._clock = clock
        self._backoff_s = 0.0
        self._next_attempt = 0.0
        self._degraded = False
        self._started = False
        self.written = 0
        self.spooled = 0
        self.rejected = 0
        self.lost = 0
        self._losing = 0  # events lost since the spool last took one

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> Neo4jSink:
        settings.check_known(KNOWN_KEYS)
        conf = {settings.full_key(name): settings.get(name) for name in CONNECTION_KEYS}
        try:  # the same defaults, validation and config file as the CLI
            neo4j_settings = settings_from_spark_conf(conf)
        except SettingsError as exc:
            where = settings.full_key(exc.key) if exc.key else settings.full_key("*")
            raise ConfigError(f"{where}: {exc}") from None
        spool = settings.get("spool.dir")
        timeout = settings.get_float("connection.timeout", 3.0, minimum=0.1)
        return cls(
            neo4j_settings,
            Path(spool) if spool else default_spool_dir(),
            options=DriverOptions(connection_timeout_s=timeout, max_transaction_retry_time_s=5.0),
            retry_max_s=settings.get_float("retry.max", 60.0, minimum=0.0),
            write_timeout_s=settings.get_float("write.timeout", 10.0, minimum=0.1),
            batch_size=settings.get_int("batch.size", DEFAULT_CHUNK_SIZE, minimum=1,
                                        maximum=100_000),
        )

    def describe(self) -> str:
        mode = "degraded (spooling)" if self._degraded else "ok"
        return (
            f"neo4j {self.settings.display_uri} user={self.settings.user} "
            f"spool={self.spool.directory} written={self.written} spooled={self.spooled} "
            f"lost={self.lost} abandoned={self.abandoned} {mode}"
        )

    def job_names(self, namespace: str, application: str) -> list[tuple[DatasetRef, str]]:
        """The names the graph gives the application's single-output jobs (none while Neo4j
        cannot answer: then a path output may be named as if no earlier run had written)."""
        if self._degraded:
            return []
        driver = self._driver
        try:
            return self._answered(
                lambda: job_output_names(driver, self.settings.database, namespace, application),
                self._write_timeout_s,
            )
        except Exception as exc:
            log.warning(
                "spark-lineage: could not read the job names of earlier runs (%s); path outputs "
                "are named from this run alone",
                describe_failure(exc, self.settings),
            )
            return []

    def emit(self, event: LineageEvent) -> None:
        """Write the event, or spool it (durably) when Neo4j cannot take it now."""
        if not self._started:
            self._started = True
            self._try_drain()
        elif self._degraded and self._clock() >= self._next_attempt:
            self._try_drain()
        if self._degraded:
            self._spool(event)
            return
        try:
            self._write(event)
            self.written += 1
        except Exception as exc:  # any failure: keep the event, never lose it
            if is_event_rejection(exc):
                self.spool.reject(event, exc)  # this event only; the next ones go on
                self.rejected += 1
                return
            self._enter_degraded(exc)
            self._spool(event)

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver the spool backlog if Neo4j is back; True when nothing of ours is pending.

        Writes are synchronous, so apart from the spool there is nothing buffered. ``timeout``
        bounds only when a new attempt is made: one attempt is at most the driver's timeouts.
        """
        if not self._started or (self._degraded and (timeout is None or timeout > 0)):
            self._started = True
            self._try_drain()
        return not self.spool.has_backlog()

    def close(self, timeout: float | None = None) -> None:
        """Last delivery attempt, then release the driver and the spool file; never raises."""
        try:
            if self._degraded and (timeout is None or timeout > 0):
                self._try_drain()
        except Exception:  # close must not raise; the spool keeps the events
            log.debug("neo4j sink: final delivery failed", exc_info=True)
        finally:
            self.spool.close()
            try:
                self._driver.close()
            except Exception:
                log.debug("neo4j sink: closing the driver failed", exc_info=True)
        try:
            pending = self.spool.status().pending_entries
        except OSError:
            pending = 0
        if pending:
            log.warning(
                "spark-lineage: %d event(s) wait in the spool %s; they are delivered on the next "
                "start or with `spark-lineage replay`",
                pending,
                self.spool.directory,
            )

    def _spool(self, event: LineageEvent) -> None:
        try:
            self.spool.append(event)
        except SpoolError as exc:
            self.lost += 1
            self._losing += 1
            if self._losing == 1:
                log.error(
                    "spark-lineage: LOST the lineage event of run %s: Neo4j is unreachable and %s "
                    "(later losses are counted; %d lost in total)",
                    event.run_id,
                    exc,
                    self.lost,
                )
            raise
        self.spooled += 1
        if self._losing:
            log.warning(
                "spark-lineage: the spool %s takes events again after %d lost one(s) (%d lost in "
                "total)",
                self.spool.directory,
                self._losing,
                self.lost,
            )
            self._losing = 0

    def _write(self, event: LineageEvent) -> None:
        """One event's write, given up when Neo4j does not answer within its deadline
        (``WriteTimeout`` goes to the caller, which spools)."""
        writer = self._writer
        deadline = write_deadline_s(self._write_timeout_s, len(event.edges))
        self._answered(lambda: writer.write(event), deadline)

    def _answered(self, call: Callable[[], T], deadline_s: float) -> T:
        """Every round trip of the sink to Neo4j: ``call()``, or the connection is abandoned
        when no answer comes within ``deadline_s`` (and ``WriteTimeout`` raised)."""
        try:
            return call_with_deadline(call, deadline_s)
        except WriteTimeout:
            self._abandon_connection()
            raise

    def _abandon_connection(self) -> None:
        """Close the silent driver on another thread (the stuck write still holds it) and open a
        fresh one for the next attempt."""
        stale = self._driver
        threading.Thread(target=_close_quietly, args=(stale,), daemon=True).start()
        self._driver = open_driver(self.settings, self._options)
        self._writer = GraphWriter(self._driver, self.settings.database,
                                   chunk_size=self._batch_size)
        self.abandoned += 1

    def _try_drain(self) -> None:
        try:
            report = self.spool.deliver(self._write, is_event_rejection)
        except Exception as exc:  # spool I/O trouble: stay on the safe path (spooling)
            self._enter_degraded(exc)
            return
        self.rejected += report.rejected
        if report.error is None:
            if self._degraded:
                log.warning(
                    "spark-lineage: Neo4j at %s is back; %d spooled event(s) delivered",
                    self.settings.display_uri,
                    report.delivered,
                )
            self._degraded = False
            self._backoff_s = 0.0
            return
        self._enter_degraded(report.error)

    def _enter_degraded(self, exc: BaseException) -> None:
        if not self._degraded:
            log.warning(
                "spark-lineage: cannot write lineage to Neo4j (%s); spooling events to %s",
                describe_failure(exc, self.settings),
                self.spool.directory,
            )
        self._degraded = True
        self._backoff_s = min(max(self._backoff_s * 2, 1.0), max(self._retry_max_s, 0.0))
        self._next_attempt = self._clock() + self._backoff_s


def _close_quietly(driver: neo4j.Driver) -> None:
    try:
        driver.close()
    except Exception:
        log.debug("neo4j sink: closing an abandoned driver failed", exc_info=True)

