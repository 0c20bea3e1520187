"""The py4j ``QueryExecutionListener``: stash a reference per finished query, nothing more.

Spark calls ``onSuccess``/``onFailure`` on its shared listener-bus thread and waits for the
Python callback to return; a slow callback backs up the bus and makes Spark drop events for every
listener. So the callback only wraps the JVM references it is given (the ``QueryExecution`` and,
on failure, the exception) with the function name and timing into a :class:`PendingQuery`, and
hands that to a non-blocking ``offer`` function (the agent's bounded queue). Reading the plan
happens later, on the agent's worker thread: the py4j reference keeps the JVM object alive.

Nothing raised here reaches Spark: every callback catches everything and counts it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PendingQuery:
    """One finished query as the listener saw it: JVM references plus timing, not yet read.

    ``query_execution`` and ``exception`` are py4j ``JavaObject`` references (``None`` for the
    exception on success). ``duration_ns`` is Spark's own measure (``None`` on failure, where
    Spark gives none); ``ended_at_ns`` is the wall clock when the callback ran. ``batch_id`` is
    set for a streaming micro-batch (:mod:`.streams`): the id its progress event reported.
    """

    function_name: str
    query_execution: Any
    duration_ns: int | None
    ended_at_ns: int
    exception: Any = None
    batch_id: int | None = None

    @property
    def failed(self) -> bool:
        return self.exception is not None


class ListenerStats:
    """Counters the callback updates: calls, errors and the time spent inside callbacks."""

    __slots__ = ("_keep", "_lock", "callback_errors", "calls", "durations_ns")

    def __init__(self, keep_samples: int = 10_000) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.callback_errors = 0
        self.durations_ns: list[int] = []
        self._keep = keep_samples

    def record(self, elapsed_ns: int, error: bool) -> None:
        with self._lock:
            self.calls += 1
            if error:
                self.callback_errors += 1
            if len(self.durations_ns) < self._keep:
                self.durations_ns.append(elapsed_ns)
            else:  # keep a sliding window: overwrite round-robin
                self.durations_ns[self.calls % self._keep] = elapsed_ns

    def total_ns(self) -> int:
        with self._lock:
            return sum(self.durations_ns)

    def samples(self) -> list[int]:
        with self._lock:
            return list(self.durations_ns)


class QueryListener:
    """Python side of ``org.apache.spark.sql.util.QueryExecutionListener`` (a py4j callback).

    ``offer`` must not block and must not raise for a full queue (it returns False instead);
    anything it raises anyway is swallowed and counted in :attr:`stats`.
    """

    class Java:
        implements = ["org.apache.spark.sql.util.QueryExecutionListener"]

    def __init__(self, offer: Callable[[PendingQuery], bool]) -> None:
        self._offer = offer
        self.stats = ListenerStats()

    def equals(self, other: Any) -> bool:
        """Java: ``equals`` of the proxy. Spark removes a listener from a list by ``equals``,
        which Java calls on the proxy being removed for every listener before it; without this,
        py4j fails ("no attribute 'equals'") and the listener stays registered whenever another
        Python listener (another agent's, MLflow's) is in the list. Equal only to itself."""
        return other is self

    def hashCode(self) -> int:
        """Java: ``hashCode`` of the proxy, consistent with :meth:`equals`."""
        return id(self) & 0x7FFFFFFF

    def onSuccess(self, funcName: str, qe: Any, durationNs: int) -> None:
        """Spark: a query finished. Stash the reference and return at once."""
        self._stash(funcName, qe, int(durationNs), None)

    def onFailure(self, funcName: str, qe: Any, exception: Any) -> None:
        """Spark: a query failed. Stash the references (the error is read on the worker)."""
        self._stash(funcName, qe, None, exception)

    def _stash(self, function_name: str, qe: Any, duration_ns: int | None, exc: Any) -> None:
        started = time.perf_counter_ns()
        error = False
        try:
            self._offer(
                PendingQuery(
                    function_name=str(function_name),
                    query_execution=qe,
                    duration_ns=duration_ns,
                    ended_at_ns=time.time_ns(),
                    exception=exc,
                )
            )
        except BaseException:  # nothing may reach Spark's listener thread
            error = True
        finally:
            with contextlib.suppress(BaseException):  # accounting must not fail either
                self.stats.record(time.perf_counter_ns() - started, error)
