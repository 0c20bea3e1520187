"""The agent: owns the bounded queue and the worker; wires capture -> lineage -> events -> sinks.

Threads and their duties:

* Spark's listener thread (through py4j) calls :meth:`LineageAgent.offer` with a
  :class:`~spark_lineage.capture.listener.PendingQuery`. ``offer`` never blocks: when the queue is
  full the query is skipped, counted and a rate-limited warning says so.
* One daemon worker thread takes queries off the queue and does everything else: plan capture
  (py4j), lineage (pure), the event, the sinks. It is the only thread that calls sinks.
* The user's thread calls :meth:`flush` / :meth:`close` (also run at interpreter exit and just
  before the SparkContext stops). ``flush`` waits for Spark's listener bus to deliver pending
  callbacks, then for the worker to process everything queued before it and flush the sinks.

Nothing raised on the listener thread or the worker reaches the job: failures are logged once per
interval per kind and counted in :class:`AgentHealth`, which is logged at close.

The worker survives anything a stage raises (``BaseException`` included), but a thread can still
die outside that guard (an asynchronous exception such as a thread "kill", or one raised while the
guard reports an error). The agent checks on every ``offer``/``submit``/``flush`` that its worker
is alive; when it is not, one ERROR line says so and a new worker takes over the same queue
(nothing queued is lost). An event the worker drops -- the one in hand when a stage raises past
every guard, or what is still queued when the agent closes without a worker -- is counted as
``lost``. After :data:`MAX_WORKER_RESTARTS` replacements the agent gives up and skips later
queries with a count; ``flush`` and ``close`` stay bounded by their timeout in every case.
"""

from __future__ import annotations

import atexit
import logging
import queue
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from spark_lineage.capture.context import (
    describe_exception,
    drain_listener_bus,
    query_start_ms,
    read_app_context,
    read_lineage_conf,
    read_sql_text,
    register_listener,
    unregister_listener,
)
from spark_lineage.capture.handles import jvm_thread_cpu_ns
from spark_lineage.capture.listener import PendingQuery, QueryListener
from spark_lineage.capture.probe import reads_engine_state_only
from spark_lineage.capture.streams import (
    StreamListener,
    StreamRegistry,
    register_stream_listener,
    unregister_stream_listener,
)
from spark_lineage.coalesce import WriteCoalescer
from spark_lineage.config import AgentConfig, ConfigError, load_config
from spark_lineage.event_maker import EventMaker
from spark_lineage.events import QueryOutcome, new_run_id
from spark_lineage.job_names import JobNamer
from spark_lineage.lineage.internal import is_internal_function
from spark_lineage.model import (
    AppContext,
    CapturedPlan,
    EventType,
    LineageEvent,
    QueryLineage,
    WriteStep,
)
from spark_lineage.phases import PhaseClock
from spark_lineage.sinks.composite import CompositeSink
from spark_lineage.sinks.ratelimit import RateLimitedLog
from spark_lineage.sinks.registry import build_sinks

__all__ = [
    "AgentHealth",
    "DeferredEvent",
    "DisabledAgent",
    "LineageAgent",
    "attach",
    "attached_agent",
    "detach",
    "new_run_id",
]

log = logging.getLogger("spark_lineage")

#: How many times a dead worker is replaced before the agent gives up (then queries are skipped).
MAX_WORKER_RESTARTS = 5

#: capture(query_execution, function_name, ended_at_ms): the plan and facts of one query.
CaptureFn = Callable[[Any, str, int], CapturedPlan]
ExtractFn = Callable[[CapturedPlan], QueryLineage]


@dataclass(frozen=True, slots=True)
class AgentHealth:
    """What the agent did, for the close-time health log and for tests.

    ``seen``: listener callbacks; ``queued``: accepted into the queue; ``skipped``: dropped because
    the queue was full or the agent was closing; ``processed``: events handed to the sinks
    (including those given to :meth:`LineageAgent.submit`);
    ``failed``: queries whose capture or lineage raised (their event still goes out, with a
    warning and without datasets); ``filtered``: read-only queries left out by
    ``spark.lineage.emit.readOnly=false``; ``fail_events``: queries that failed in Spark;
    ``lost``: queries or events dropped by the worker itself (a stage raised a ``BaseException``
    past every guard, or the worker died or stopped with them queued); ``worker_restarts``: dead
    workers replaced; ``queue_depth``/``queue_peak``: items waiting for the worker now / at most
    (bounded by ``spark.lineage.queue.size``).
    """

    seen: int
    queued: int
    skipped: int
    processed: int
    failed: int
    filtered: int
    fail_events: int
    listener_errors: int
    sink_errors: dict[str, int] = field(default_factory=dict)
    listener_ms_total: float = 0.0
    listener_ms_p50: float = 0.0
    listener_ms_p95: float = 0.0
    listener_ms_max: float = 0.0
    worker_ms_total: float = 0.0
    worker_ms_mean: float = 0.0
    worker_cpu_ms_total: float = 0.0
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    lost: int = 0
    worker_restarts: int = 0
    queue_depth: int = 0
    queue_peak: int = 0

    def log_line(self) -> str:
        sinks = ", ".join(f"{k}={v}" for k, v in self.sink_errors.items()) or "none"
        return (
            f"spark-lineage health: queries seen={self.seen} processed={self.processed} "
            f"skipped={self.skipped} failed={self.failed} filtered={self.filtered} "
            f"fail_events={self.fail_events} listener_errors={self.listener_errors} "
            f"sink_errors[{sinks}] listener_thread_ms total={self.listener_ms_total:.2f} "
            f"p50={self.listener_ms_p50:.3f} p95={self.listener_ms_p95:.3f} "
            f"max={self.listener_ms_max:.3f} worker_ms total={self.worker_ms_total:.1f} "
            f"mean={self.worker_ms_mean:.2f} lost={self.lost} "
            f"worker_restarts={self.worker_restarts} queue_peak={self.queue_peak}"
        )


class _PeakQueue(queue.Queue[object]):
    """A bounded queue that remembers the most items it ever held.

    The peak is taken inside the queue's own lock, on every put, so no observer can see a depth
    the peak missed (measuring after ``put`` raced the worker's ``get``)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.peak = 0

    def _put(self, item: object) -> None:  # called by Queue.put with self.mutex held
        super()._put(item)
        self.peak = max(self.peak, len(self.queue))


class _FlushRequest:
    """A marker the worker answers by flushing the sinks once everything before it is done."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.done = threading.Event()
        self.ok = False

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass(frozen=True, slots=True)
class DeferredEvent:
    """An event the worker builds (py4j capture, lineage) so that the caller's thread only hands
    over what it must read itself; ``build`` returns None when there is nothing to send."""

    build: Callable[[], LineageEvent | None]
    what: str


_STOP = object()


def _capture(
    pending: PendingQuery, ended_at_ms: int, streams: StreamRegistry, clock: PhaseClock
) -> CapturedPlan:
    """The real capture: with the session's streams (``foreachBatch`` DataFrames) and, for a
    streaming micro-batch, the batch it reports; its stages are timed on ``clock``."""
    from spark_lineage.capture.plan import capture_plan

    return capture_plan(
        pending.query_execution,
        pending.function_name,
        ended_at_ms,
        streams=streams,
        batch_id=pending.batch_id,
        clock=clock,
    )


def _default_extract() -> ExtractFn:
    from spark_lineage.lineage import extract_lineage

    return extract_lineage


class LineageAgent:
    """Listens to one SparkSession and reports every executed query to the sinks.

    Build it with :func:`spark_lineage.attach` (which reads and validates the settings) rather
    than directly; ``capture`` and ``extract`` default to the real plan capture and lineage engine
    and are parameters only so that tests can substitute a failing or slow stage.
    """

    #: False only on :class:`DisabledAgent`: ``if not agent.enabled`` narrows the type for mypy.
    enabled: ClassVar[Literal[True]] = True

    def __init__(
        self,
        spark: Any,
        config: AgentConfig,
        app: AppContext,
        sinks: CompositeSink,
        *,
        capture: CaptureFn | None = None,
        extract: ExtractFn | None = None,
    ) -> None:
        self.spark = spark
        self.config = config
        self.app = app
        self.sinks = sinks
        self.events = EventMaker(
            app,
            namespace=config.namespace,
            application=config.application,
            lake_root=config.lake_root,
            emit_read_only=config.emit_read_only,
        )
        self._coalescer = WriteCoalescer(lambda: time.monotonic() * 1000)
        self._capture = capture
        self._extract = extract
        self._queue = _PeakQueue(maxsize=config.queue_size)
        self._listener = QueryListener(self.offer)
        self._streams = StreamRegistry()
        self._stream_listener: StreamListener | None = None
        self._warn = RateLimitedLog(log, config.warn_interval_s)
        self._count_lock = threading.Lock()
        self._seen = self._queued = self._skipped = 0
        self._processed = self._failed = self._filtered = self._fail_events = 0
        self._lost = self._restarts = 0
        self._worker_ns = 0
        self._worker_cpu_ns = 0
        self._clock = PhaseClock(jvm_thread_cpu_ns if config.profile_jvm else None)
        self._closed = False
        self._close_started = False
        self._job_names_known = False  # read from the sinks' stores before the first event
        self._close_lock = threading.Lock()
        self._worker = self._new_worker()
        self._worker_lock = threading.Lock()
        self._started = False
        self._gave_up = False
        self._restore_stop: Callable[[], None] | None = None
        self._registered: Any = None  # the JVM listener Spark holds (see register_listener)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> LineageAgent:
        """Start the worker, register the listener and the exit hooks."""
        self._worker.start()
        self._started = True
        try:
            self._registered = register_listener(self.spark, self._listener)
        except BaseException:
            self._queue.put(_STOP)  # do not leave an idle worker behind a failed attach
            raise
        try:  # streaming micro-batches (capture/streams.py); batch queries work without it
            self._stream_listener = register_stream_listener(self.spark, self._streams, self.offer)
        except Exception:
            log.warning("spark-lineage: streaming queries are not followed", exc_info=True)
        atexit.register(self._at_exit)
        self._restore_stop = _hook_context_stop(self.spark, self._before_context_stop)
        log.info(
            "spark-lineage: attached to %s (%s), sinks: %s",
            self.app.app_name,
            self.app.app_id,
            self.sinks.describe(),
        )
        return self

    @property
    def closed(self) -> bool:
        return self._closed

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every query captured so far is processed and delivered by the sinks.

        Waits first for Spark's listener bus to deliver pending callbacks (so a flush right after
        an action includes it), then for the worker. Returns False when ``timeout`` (seconds;
        default ``spark.lineage.flush.timeout``) ran out or a sink reported a failed flush.
        """
        if self._closed or not self._ensure_worker():
            return False
        if threading.current_thread() is self._worker:
            return False  # a sink calling back into the agent: never wait for ourselves
        budget = self.config.flush_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + budget
        drain_listener_bus(self.spark, budget)
        request = _FlushRequest(deadline)
        try:
            self._queue.put(request, timeout=max(0.001, request.remaining()))
        except queue.Full:
            return False
        if not request.done.wait(request.remaining()):
            return False
        return request.ok

    def close(self, timeout: float | None = None) -> None:
        """Flush, stop listening, stop the worker, close the sinks and log the health line.

        Idempotent; never raises. ``timeout`` (seconds) bounds the whole close.
        """
        with self._close_lock:  # exit hook, stop hook and user may race: one close wins
            if self._close_started:
                return
            self._close_started = True
        budget = self.config.flush_timeout_s if timeout is None else timeout
        deadline = time.monotonic() + budget
        try:
            if not self.flush(budget):
                log.warning("spark-lineage: not every event was delivered within %.1fs", budget)
        except Exception:
            log.warning("spark-lineage: flush at close failed", exc_info=True)
        if self._registered is not None:
            unregister_listener(self.spark, self._registered)
            self._registered = None
        if self._stream_listener is not None:
            unregister_stream_listener(self.spark, self._stream_listener)
            self._stream_listener = None
        self._closed = True
        self._stop_worker(max(0.0, deadline - time.monotonic()))
        if self._worker.is_alive():
            with self._queue.mutex:
                waiting = sum(
                    isinstance(item, PendingQuery | LineageEvent | DeferredEvent)
                    for item in self._queue.queue
                )
            log.error(
                "spark-lineage: the worker is still busy after %.1fs (a sink blocked?); sinks are "
                "left open: %d queued event(s) and the one in progress are lost if the process "
                "exits now",
                budget,
                waiting,
            )
        else:
            self._count_unprocessed()
            self.sinks.close(max(0.0, deadline - time.monotonic()))
        self._unhook()
        with _AGENTS_LOCK:
            if _AGENTS.get(id(self.spark)) is self:
                del _AGENTS[id(self.spark)]
        log.info(self.health().log_line())

    def _stop_worker(self, timeout: float) -> None:
        if not self._worker.is_alive():
            return  # dead (and not replaced): nobody would take the stop marker
        try:
            self._queue.put(_STOP, timeout=max(0.001, timeout))
        except queue.Full:
            return
        self._worker.join(timeout)

    def _count_unprocessed(self) -> None:
        """At close, with the worker gone: count what is still queued or held as lost, and say
        so."""
        left = len(self._coalescer.drain())
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, PendingQuery | LineageEvent | DeferredEvent):
                left += 1
            elif isinstance(item, _FlushRequest):
                item.done.set()
        if left:
            with self._count_lock:
                self._lost += left
            log.error("spark-lineage: %d queued event(s) lost: the worker is gone", left)

    def _new_worker(self) -> threading.Thread:
        return threading.Thread(target=self._run, name="spark-lineage-worker", daemon=True)

    def _ensure_worker(self) -> bool:
        """True when a worker runs; replaces a dead one (logged once per death, counted).

        Cheap when the worker is alive (one ``is_alive``), so the listener thread can call it.
        """
        if self._worker.is_alive():
            return True
        if not self._started or self._closed:
            return False
        with self._worker_lock:
            if self._worker.is_alive():
                return True  # another thread replaced it meanwhile
            if self._gave_up:
                return False
            with self._count_lock:
                deaths, lost = self._restarts + 1, self._lost
            if deaths > MAX_WORKER_RESTARTS:
                self._gave_up = True
                log.error(
                    "spark-lineage: the worker thread died again (%d deaths); giving up: lineage "
                    "of later queries is skipped and counted (%d event(s) lost so far)",
                    deaths,
                    lost,
                )
                return False
            log.error(
                "spark-lineage: the worker thread died (death %d; %d event(s) lost so far); "
                "starting a new one -- queued queries are kept",
                deaths,
                lost,
            )
            worker = self._new_worker()
            try:
                worker.start()
            except RuntimeError:  # cannot start a thread (resource limits): stay without one
                self._gave_up = True
                log.error(
                    "spark-lineage: cannot start a new worker; lineage is skipped", exc_info=True
                )
                return False
            self._worker = worker
            with self._count_lock:
                self._restarts += 1
            return True

    def _unhook(self) -> None:
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            log.debug("spark-lineage: atexit unregister failed", exc_info=True)
        if self._restore_stop is not None:
            self._restore_stop()
            self._restore_stop = None

    def _at_exit(self) -> None:
        try:
            self.close()
        except BaseException:  # interpreter exit: say it, never raise
            log.warning("spark-lineage: close at exit failed", exc_info=True)

    def _before_context_stop(self) -> None:
        try:
            self.close()
        except BaseException:
            log.warning("spark-lineage: close before SparkContext.stop failed", exc_info=True)

    def submit(self, event: LineageEvent) -> bool:
        """Queue an event built elsewhere (e.g. ``record_model``) for the sinks, in order with the
        query events. Never blocks: False (counted as skipped) when the queue is full or closed."""
        return self._enqueue(event, "a submitted event")

    def submit_later(self, deferred: DeferredEvent) -> bool:
        """Queue an event for the worker to build and send, in order with the query events.
        Never blocks: False (counted as skipped) when the queue is full or closed."""
        return self._enqueue(deferred, deferred.what)

    def _enqueue(self, item: LineageEvent | DeferredEvent, what: str) -> bool:
        if not self._closed and self._ensure_worker():
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                pass
            else:
                return True
        with self._count_lock:
            self._skipped += 1
        self._warn.warning(
            "submit-skipped", "spark-lineage: queue full or agent closed; skipped %s", what
        )
        return False

    # --- listener side (Spark's thread) -----------------------------------------------------

    def offer(self, pending: PendingQuery) -> bool:
        """Queue one captured query without blocking; False (counted) when full or closing."""
        with self._count_lock:
            self._seen += 1
        if not self._closed and self._ensure_worker():
            try:
                self._queue.put_nowait(pending)
            except queue.Full:
                pass
            else:
                with self._count_lock:
                    self._queued += 1
                return True
        with self._count_lock:
            self._skipped += 1
            skipped = self._skipped
        self._warn.warning(
            "queue-full",
            "spark-lineage: queue full (spark.lineage.queue.size=%d), no worker or agent "
            "closed; skipped lineage of a %s query (%d skipped so far)",
            self.config.queue_size,
            pending.function_name,
            skipped,
        )
        return False

    # --- worker side -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wait_ms = self._coalescer.due_in_ms()
            try:
                item = self._queue.get(timeout=None if wait_ms is None else wait_ms / 1000)
            except queue.Empty:
                self._emit_all(self._coalescer.expired)
                continue
            if item is _STOP:
                self._emit_all(self._coalescer.drain)
                return
            try:
                if isinstance(item, _FlushRequest):
                    self._emit_all(self._coalescer.drain)
                    item.ok = self.sinks.flush(item.remaining())
                elif isinstance(item, PendingQuery):
                    self._process(item)
                elif isinstance(item, LineageEvent):
                    self._emit(item)
                elif isinstance(item, DeferredEvent):
                    self._emit_deferred(item)
                self._emit_all(self._coalescer.expired)
            except BaseException:  # the worker must survive anything a stage does
                lost = isinstance(item, PendingQuery | LineageEvent | DeferredEvent)
                if lost:
                    with self._count_lock:  # counted first: the report below may itself fail
                        self._lost += 1
                self._warn.warning(
                    "worker",
                    "spark-lineage: worker error%s",
                    "; the event in hand is lost (counted)" if lost else "",
                    exc_info=True,
                )
            finally:
                if isinstance(item, _FlushRequest):
                    item.done.set()  # also when the flush raised: never leave a caller waiting
                del item  # release the py4j reference on this thread, not on the next get()

    def _process(self, pending: PendingQuery) -> None:
        started = time.perf_counter_ns()
        started_cpu = time.thread_time_ns()
        try:
            if not self._job_names_known:
                self._job_names_known = True
                with self._clock.measure("setup"):
                    self.events.remember_job_names(
                        self.sinks.job_names(self.config.namespace, self.events.namer.application)
                    )
            made = self._to_event(pending)
            if made is None:
                with self._count_lock:
                    self._filtered += 1
                return
            folded = self._coalescer.folded
            ready = self._coalescer.push(*made)
            with self._count_lock:
                self._filtered += self._coalescer.folded - folded  # now part of another event
            for one in ready:
                self._emit(one)
        finally:
            self._worker_ns += time.perf_counter_ns() - started
            self._worker_cpu_ns += time.thread_time_ns() - started_cpu

    def _emit_deferred(self, deferred: DeferredEvent) -> None:
        try:
            event = deferred.build()
        except Exception:
            with self._count_lock:
                self._failed += 1
            self._warn.warning(
                "deferred", "spark-lineage: could not build %s", deferred.what, exc_info=True
            )
            return
        if event is not None:
            self._emit(event)

    def _emit_all(self, take: Callable[[], list[LineageEvent]]) -> None:
        for event in take():
            self._emit(event)

    def _emit(self, event: LineageEvent) -> None:
        with self._clock.measure("sink"):
            self.sinks.emit(event)
        with self._count_lock:
            self._processed += 1
            if event.event_type is EventType.FAIL:
                self._fail_events += 1

    def _to_event(self, pending: PendingQuery) -> tuple[LineageEvent, bool] | None:
        """The query's event (and whether it may be the inner step of a write), or None."""
        if not pending.failed and is_internal_function(pending.function_name):
            return None  # Delta's own inner queries: filtered by name, without a capture
        if not pending.failed and self._capture is None:
            with self._clock.measure("probe"):
                engine_state = reads_engine_state_only(
                    pending.query_execution, pending.function_name, self._streams
                )
            if engine_state:
                return None  # Delta reading its log state: a few py4j calls, no capture
        with self._clock.measure("outcome"):
            outcome = self._outcome(pending)
        extra: tuple[str, ...] = ()
        try:
            lineage = self._lineage(pending)
        except Exception as exc:
            with self._count_lock:
                self._failed += 1
            self._warn.warning(
                "lineage",
                "spark-lineage: lineage of a %s query failed; its event goes out without datasets",
                pending.function_name,
                exc_info=True,
            )
            lineage = QueryLineage()
            extra = (f"lineage failed: {type(exc).__name__}: {exc}",)
        with self._clock.measure("event"):
            event = self.events.for_query(outcome, lineage, extra)
        if event is None:
            return None
        return event, lineage.write_step is WriteStep.NESTABLE

    def _lineage(self, pending: PendingQuery) -> QueryLineage:
        ended_at_ms = pending.ended_at_ns // 1_000_000
        if self._capture is None:
            plan = _capture(pending, ended_at_ms, self._streams, self._clock)
        else:
            with self._clock.measure("capture"):
                plan = self._capture(pending.query_execution, pending.function_name, ended_at_ms)
        if self._extract is None:
            self._extract = _default_extract()
        with self._clock.measure("lineage"):
            return self._extract(plan)

    def _outcome(self, pending: PendingQuery) -> QueryOutcome:
        ended_ms = pending.ended_at_ns // 1_000_000
        started_ms = ended_ms - (pending.duration_ns or 0) // 1_000_000
        error: str | None = None
        stack: str | None = None
        if pending.failed:  # Spark gives no duration on failure: use the planning tracker
            error, stack = describe_exception(self.spark, pending.exception)
            started_ms = min(ended_ms, query_start_ms(pending.query_execution) or ended_ms)
        return QueryOutcome(
            function_name=pending.function_name,
            started_at_ms=started_ms,
            ended_at_ms=ended_ms,
            error=error,
            error_stack=stack,
            sql=read_sql_text(pending.query_execution),
        )

    # --- health ----------------------------------------------------------------------------

    def health(self) -> AgentHealth:
        """A snapshot of the counters and timings (cheap; safe from any thread)."""
        samples = sorted(self._listener.stats.samples())
        with self._count_lock:
            processed = self._processed
            return AgentHealth(
                seen=self._seen,
                queued=self._queued,
                skipped=self._skipped,
                processed=processed,
                failed=self._failed,
                filtered=self._filtered,
                fail_events=self._fail_events,
                listener_errors=self._listener.stats.callback_errors,
                sink_errors=dict(self.sinks.errors),
                listener_ms_total=sum(samples) / 1e6,
                listener_ms_p50=_percentile(samples, 0.50) / 1e6,
                listener_ms_p95=_percentile(samples, 0.95) / 1e6,
                listener_ms_max=(samples[-1] / 1e6) if samples else 0.0,
                worker_ms_total=self._worker_ns / 1e6,
                worker_ms_mean=(self._worker_ns / 1e6 / processed) if processed else 0.0,
                worker_cpu_ms_total=self._worker_cpu_ns / 1e6,
                phases={name: cost.to_dict() for name, cost in self._clock.snapshot().items()},
                lost=self._lost,
                worker_restarts=self._restarts,
                queue_depth=self._queue.qsize(),
                queue_peak=self._queue.peak,
            )

    @property
    def namer(self) -> JobNamer:
        return self.events.namer

    @property
    def app_run_id(self) -> str:
        return self.events.app_run_id

    @property
    def listener(self) -> QueryListener:
        """The py4j listener proxy (exposed for benchmarks and tests)."""
        return self._listener


def _percentile(sorted_samples: list[int], q: float) -> float:
    if not sorted_samples:
        return 0.0
    if len(sorted_samples) == 1:
        return float(sorted_samples[0])
    cuts = statistics.quantiles(sorted_samples, n=100, method="inclusive")
    return float(cuts[min(98, max(0, round(q * 100) - 1))])


def _hook_context_stop(spark: Any, before_stop: Callable[[], None]) -> Callable[[], None]:
    """Run ``before_stop`` when the session's SparkContext is stopped from Python.

    Wraps ``stop`` on the SparkContext *instance* (``SparkSession.stop`` calls it), so that the
    agent flushes while the JVM still answers. Returns a function that removes the wrapper.
    """
    sc = spark.sparkContext
    original = sc.stop

    def stop_with_lineage_flush(*args: Any, **kwargs: Any) -> Any:
        before_stop()
        return original(*args, **kwargs)

    sc.stop = stop_with_lineage_flush

    def restore() -> None:
        if getattr(sc, "stop", None) is stop_with_lineage_flush:
            sc.stop = original

    return restore


class DisabledAgent:
    """What :func:`attach` returns when the agent is off (kill switch or invalid settings).

    Same methods as :class:`LineageAgent`, doing nothing, so job code needs no ``if``.
    """

    enabled: ClassVar[Literal[False]] = False
    closed = True

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        return None

    def health(self) -> AgentHealth:
        return AgentHealth(0, 0, 0, 0, 0, 0, 0, 0)

    def submit(self, event: LineageEvent) -> bool:
        return False

    def submit_later(self, deferred: DeferredEvent) -> bool:
        return False


_AGENTS: dict[int, LineageAgent] = {}
_AGENTS_LOCK = threading.Lock()


def attach(
    spark: Any,
    conf: Mapping[str, str] | None = None,
    *,
    default_enabled: bool = True,
    capture: CaptureFn | None = None,
    extract: ExtractFn | None = None,
) -> LineageAgent | DisabledAgent:
    """Attach the agent to ``spark`` (once per session) and return it; never raises.

    Settings are the session's ``spark.lineage.*`` confs, overlaid with ``conf`` (full keys) and
    completed from ``SPARK_LINEAGE_*`` environment variables. With the kill switch off or an
    invalid setting, one log line says why and a :class:`DisabledAgent` comes back.
    """
    try:
        with _AGENTS_LOCK:
            existing = _AGENTS.get(id(spark))
            if existing is not None and not existing.closed:
                return existing
            values = {**read_lineage_conf(spark), **dict(conf or {})}
            config = load_config(values, default_enabled=default_enabled)
            _configure_logging(config.log_level)
            if not config.enabled:
                log.info("spark-lineage: disabled by spark.lineage.enabled=false")
                return DisabledAgent("disabled by spark.lineage.enabled=false")
            app = read_app_context(spark)
            sinks = CompositeSink(build_sinks(config, app), config.warn_interval_s)
            agent = LineageAgent(spark, config, app, sinks, capture=capture, extract=extract)
            agent.start()
            _AGENTS[id(spark)] = agent
        _install_ml_hook()
        return agent
    except ConfigError as exc:
        _configure_logging("INFO")
        log.error("spark-lineage: disabled, invalid setting: %s", exc)
        return DisabledAgent(f"invalid setting: {exc}")
    except Exception as exc:
        _configure_logging("INFO")
        log.error("spark-lineage: disabled, could not attach: %s: %s", type(exc).__name__, exc)
        return DisabledAgent(f"could not attach: {exc}")


def attached_agent(spark: Any) -> LineageAgent | None:
    """The open agent attached to ``spark``, if any; never attaches one."""
    with _AGENTS_LOCK:
        agent = _AGENTS.get(id(spark))
    return agent if agent is not None and not agent.closed else None


def detach(spark: Any, timeout: float | None = None) -> None:
    """Close the agent attached to ``spark``, if any (flushes first)."""
    with _AGENTS_LOCK:
        agent = _AGENTS.pop(id(spark), None)
    if agent is not None:
        agent.close(timeout)


def _install_ml_hook() -> None:
    """Spark ML ``fit()`` + ``save()`` become Model versions once an agent is attached."""
    try:
        from spark_lineage.ml_hook import install

        install()
    except Exception:
        log.warning("spark-lineage: saved Spark ML models are not recorded", exc_info=True)


def _configure_logging(level: str) -> None:
    """Give the ``spark_lineage`` logger a stderr handler unless the application set up logging,
    so the attach, disable and health lines are seen under spark-submit too."""
    package_logger = logging.getLogger("spark_lineage")
    if not logging.getLogger().handlers and not package_logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        package_logger.addHandler(handler)
        package_logger.propagate = False
    package_logger.setLevel(level)
