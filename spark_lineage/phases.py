"""Where the agent's worker spends its time: wall and CPU seconds per stage of a query's event.

The worker turns each query into an event in stages (see :class:`spark_lineage.agent.LineageAgent`):

* ``probe``: a few py4j calls that recognise Delta reading its own log state, which then gets no
  capture (:mod:`spark_lineage.capture.probe`);
* ``outcome``: the query's SQL text and, on failure, its error (py4j reads);
* ``capture.plan``: the analyzed plan's JSON, built on the JVM and brought over py4j;
* ``capture.facts``: what the JSON leaves out (relation paths, formats, the write target);
* ``capture.delta``: the Delta versions read and written (the Delta log, over py4j);
* ``lineage``: the column lineage, in Python;
* ``event``: the lineage event, in Python;
* ``sink``: handing the event to the sinks (a sink's own thread does the rest);
* ``setup``: one-off work before the first event (the job names the sinks already hold).

Each stage records its calls, its wall time and the CPU time of the worker's thread
(``time.thread_time_ns``: the Python side only). Wall time minus CPU time is mostly waiting for the
JVM. With a ``jvm_cpu`` clock (``spark.lineage.profile.jvm``), a stage also records the CPU time
of the JVM thread that serves the worker's py4j calls: the plan JSON Spark builds for us, the
Delta log it reads for us. A measurement costs two clock reads on each side of a stage, about a
microsecond, plus two py4j calls with the JVM clock.

This module depends on nothing of the project's, so that capture and the agent can both use it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: The stages, in the order the worker runs them.
PHASES = (
    "setup",
    "probe",
    "outcome",
    "capture.plan",
    "capture.facts",
    "capture.delta",
    "lineage",
    "event",
    "sink",
)


@dataclass(frozen=True, slots=True)
class PhaseCost:
    """One stage's totals: how often it ran, its wall time and its thread CPU time (ms)."""

    calls: int
    wall_ms: float
    cpu_ms: float
    jvm_cpu_ms: float | None = None  # only with a JVM clock

    def to_dict(self) -> dict[str, float]:
        figures = {"calls": self.calls, "wall_ms": round(self.wall_ms, 3),
                   "cpu_ms": round(self.cpu_ms, 3)}
        if self.jvm_cpu_ms is not None:
            figures["jvm_cpu_ms"] = round(self.jvm_cpu_ms, 3)
        return figures


class PhaseClock:
    """Totals per stage, written by one thread (the worker) and read by any (``snapshot``).

    ``jvm_cpu``: a clock of the JVM thread serving the calling thread (ns), or None."""

    def __init__(self, jvm_cpu: Callable[[], int] | None = None) -> None:
        self._lock = threading.Lock()
        self._jvm_cpu = jvm_cpu
        self._calls: dict[str, int] = {}
        self._wall_ns: dict[str, int] = {}
        self._cpu_ns: dict[str, int] = {}
        self._jvm_ns: dict[str, int] = {}

    @contextmanager
    def measure(self, phase: str) -> Iterator[None]:
        """Add the time spent in the ``with`` block to ``phase`` (also when the block raises)."""
        jvm = self._read_jvm()
        wall = time.perf_counter_ns()
        cpu = time.thread_time_ns()
        try:
            yield
        finally:
            wall_ns, cpu_ns = time.perf_counter_ns() - wall, time.thread_time_ns() - cpu
            after = self._read_jvm() if jvm is not None else None
            self.add(phase, wall_ns, cpu_ns, None if after is None or jvm is None else after - jvm)

    def _read_jvm(self) -> int | None:
        if self._jvm_cpu is None:
            return None
        try:
            return self._jvm_cpu()
        except Exception:  # no JVM (any more): the stage keeps its Python figures
            return None

    def add(self, phase: str, wall_ns: int, cpu_ns: int, jvm_ns: int | None = None) -> None:
        with self._lock:
            self._calls[phase] = self._calls.get(phase, 0) + 1
            self._wall_ns[phase] = self._wall_ns.get(phase, 0) + wall_ns
            self._cpu_ns[phase] = self._cpu_ns.get(phase, 0) + cpu_ns
            if jvm_ns is not None:
                self._jvm_ns[phase] = self._jvm_ns.get(phase, 0) + jvm_ns

    def snapshot(self) -> dict[str, PhaseCost]:
        """Every stage that ran, in :data:`PHASES` order (then any other, by name)."""
        with self._lock:
            names = [p for p in PHASES if p in self._calls]
            names += sorted(set(self._calls) - set(PHASES))
            return {
                name: PhaseCost(
                    self._calls[name],
                    self._wall_ns[name] / 1e6,
                    self._cpu_ns[name] / 1e6,
                    self._jvm_ns[name] / 1e6 if name in self._jvm_ns else None,
                )
                for name in names
            }


class _NoClock(PhaseClock):
    """A clock that records nothing: for captures run outside the agent (tests, tools)."""

    @contextmanager
    def measure(self, phase: str) -> Iterator[None]:
        yield


#: The clock of a capture that nobody profiles.
NO_CLOCK: PhaseClock = _NoClock()

__all__ = ["NO_CLOCK", "PHASES", "PhaseClock", "PhaseCost"]
