"""The Neo4j sink: writes each event into the lineage graph, spooling it when Neo4j cannot take it.

Behaviour (the sink contract is in :mod:`spark_lineage.sinks.base`):

* ``emit`` writes the event at once (one managed transaction, see
  :class:`~spark_lineage.graph.writer.GraphWriter`). When Neo4j is unreachable or rejects the
  write, the event is appended to the durable local spool (:mod:`spark_lineage.sinks.spool`) and
  the sink enters *degraded* mode: later events go straight to the spool, so ``emit`` stays fast,
  and order is kept. After a back-off (1 s doubling up to ``retry.max``), the next ``emit`` or
  ``flush`` tries to deliver the spool in order, then resumes direct writes.
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
``password``, ``database``, ``spool.dir``, ``connection.timeout`` (s), ``retry.max`` (s),
``batch.size`` (rows per UNWIND statement; very wide events are cut into several statements),
``write.timeout`` (s, default 10): how long one write (plus 2 ms per column edge), or the read of
earlier job names, may go unanswered before the sink abandons the connection and spools the event
(:mod:`spark_lineage.sinks.deadline`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import neo4j

from spark_lineage.config import ConfigError
from spark_lineage.graph.connection import (
    DriverOptions,
    describe_failure,
    is_event_rejection,
    open_driver,
)
from spark_lineage.graph.job_memory import job_output_names
from spark_lineage.graph.schema import SchemaState, schema_state
from spark_lineage.graph.settings import (
    Neo4jSettings,
    SettingsError,
    default_spool_dir,
    validate_uri,
)
from spark_lineage.graph.writer import DEFAULT_CHUNK_SIZE, GraphWriter
from spark_lineage.model import DatasetRef, LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.deadline import WriteTimeout, call_with_deadline, write_deadline_s
from spark_lineage.sinks.spool import DeliveryReport, Spool, SpoolError, SpoolStatus

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
    ) -> None:
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
        uri = settings.get("uri", "bolt://127.0.0.1:7687") or ""
        try:
            validate_uri(uri)
            neo4j_settings = Neo4jSettings(
                uri=uri,
                user=settings.get("user", "neo4j") or "neo4j",
                password=settings.get("password", "") or "",
                database=settings.get("database"),
            )
        except SettingsError as exc:
            raise ConfigError(f"{settings.full_key('uri')}: {exc}") from None
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
        elif self._degraded and time.monotonic() >= self._next_attempt:
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
        self._next_attempt = time.monotonic() + self._backoff_s


def _close_quietly(driver: neo4j.Driver) -> None:
    try:
        driver.close()
    except Exception:
        log.debug("neo4j sink: closing an abandoned driver failed", exc_info=True)


# --- operations behind the CLI --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """``spark-lineage replay``: the spool delivery, and the dead-letter retry when asked."""

    delivery: DeliveryReport
    rejected_sent: int = 0
    rejected_kept: int = 0


def replay_spool(
    settings: Neo4jSettings, spool_dir: Path, *, include_rejected: bool = False
) -> ReplayReport:
    """Deliver every spooled event no live process owns, in order (``spark-lineage replay``).

    With ``include_rejected``, the dead-lettered events are tried again too (after a fix).
    """
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, settings.database)
        spool = Spool(spool_dir)
        try:
            delivery = spool.deliver(writer.write, is_event_rejection)
            if not include_rejected or delivery.error is not None:
                return ReplayReport(delivery)
            sent, kept = spool.retry_rejected(writer.write)
            return ReplayReport(delivery, sent, kept)
        finally:
            spool.close()


@dataclass(frozen=True, slots=True)
class DoctorCheck:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


def doctor(settings: Neo4jSettings, spool_dir: Path) -> list[DoctorCheck]:
    """Check configuration, connectivity, login, schema and spool backlog; never raises."""
    sources = ", ".join(f"{k} from {v}" for k, v in settings.sources.items() if k != "password")
    checks = [
        DoctorCheck(
            "configuration", True, f"{settings.describe()}" + (f" ({sources})" if sources else "")
        )
    ]
    if not settings.password:
        checks.append(
            DoctorCheck(
                "password",
                False,
                "no password configured: set SPARK_LINEAGE_NEO4J_PASSWORD or [neo4j] password",
            )
        )
    checks.extend(_connection_checks(settings))
    checks.append(_spool_check(spool_dir))
    return checks


def _connection_checks(settings: Neo4jSettings) -> list[DoctorCheck]:
    try:
        driver = open_driver(settings, DriverOptions(connection_timeout_s=5.0))
    except Exception as exc:
        return [DoctorCheck("connection", False, describe_failure(exc, settings))]
    with driver:
        try:
            driver.verify_connectivity()
            info = driver.get_server_info()
        except Exception as exc:
            return [DoctorCheck("connection", False, describe_failure(exc, settings))]
        checks = [
            DoctorCheck(
                "connection",
                True,
                f"reached {info.agent} at {settings.display_uri} as {settings.user!r} "
                f"(TLS {'on' if settings.uses_tls else 'off'})",
            )
        ]
        try:
            state: SchemaState = schema_state(driver, settings.database)
        except Exception as exc:
            checks.append(DoctorCheck("schema", False, describe_failure(exc, settings)))
            return checks
        if state.complete:
            detail = f"all {len(state.present)} constraints and indexes online"
        elif state.missing:
            detail = (
                f"missing {', '.join(state.missing)}: run `spark-lineage schema init` "
                "(the sink also creates them on first write)"
            )
        else:
            detail = f"still populating: {', '.join(state.not_online)}"
        checks.append(DoctorCheck("schema", state.complete, detail))
    return checks


def _spool_check(spool_dir: Path) -> DoctorCheck:
    existing = next((p for p in (spool_dir, *spool_dir.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return DoctorCheck("spool", False,
                           f"the spool directory {spool_dir} cannot be created or written: "
                           "events could not be kept while Neo4j is unreachable")
    try:
        status: SpoolStatus = Spool(spool_dir).status()
    except OSError as exc:
        return DoctorCheck("spool", False, f"cannot read the spool {spool_dir}: {exc}")
    detail = (
        f"{status.pending_entries} undelivered event(s) in {status.files} file(s) "
        f"({status.pending_bytes} bytes) in {spool_dir}"
    )
    if status.locked_files:
        detail += f"; {status.locked_files} file(s) owned by running processes"
    if status.rejected_entries:
        detail += (
            f"; {status.rejected_entries} event(s) rejected by Neo4j wait in "
            f"{spool_dir / 'rejected'} (fix, then `spark-lineage replay --rejected`)"
        )
    if status.corrupt_lines or status.torn_tails:
        detail += (
            f"; {status.corrupt_lines} damaged entr(y/ies) and {status.torn_tails} torn "
            "tail(s) will be skipped (replay copies them to rejected/)"
        )
    if status.pending_entries and not status.locked_files:
        detail += ": run `spark-lineage replay`"
    return DoctorCheck("spool", status.pending_entries + status.rejected_entries == 0, detail)
