"""Fan one event out to several sinks, isolating each sink's failures from the others.

Continue-on-failure behaviour (documented contract): when a sink raises from ``emit``, ``flush``
or ``close``, the composite logs it (rate-limited per sink), counts it in :attr:`errors` and goes
on with the remaining sinks; the event is still delivered to every sink that works. The
composite itself never raises from ``emit``/``flush``/``close``; ``flush`` returns ``False`` when
any sink failed or timed out. Sinks are called in configuration order.

``emit`` and ``flush`` run on the agent's worker thread only, so there they also contain a
``BaseException`` (a library calling ``sys.exit``, a custom "shutdown" exception): on that thread
it could only end the worker, and it must not cost the other sinks the event. ``close`` runs on
the user's thread and lets a ``KeyboardInterrupt`` through.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from spark_lineage.model import DatasetRef, LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.ratelimit import RateLimitedLog

log = logging.getLogger(__name__)


class CompositeSink(Sink):
    """Delivers every event to all of ``sinks``; one failing sink does not stop the others."""

    type_name = "composite"

    def __init__(self, sinks: Sequence[Sink], warn_interval_s: float = 60.0) -> None:
        self.sinks: tuple[Sink, ...] = tuple(sinks)
        self.errors: dict[str, int] = {self._label(i): 0 for i in range(len(self.sinks))}
        self.delivered: dict[str, int] = {self._label(i): 0 for i in range(len(self.sinks))}
        self._warn = RateLimitedLog(log, warn_interval_s)

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> CompositeSink:
        raise TypeError("the composite sink is built by the agent from spark.lineage.sinks")

    def _label(self, index: int) -> str:
        sink = self.sinks[index]
        return f"{index}:{getattr(sink, 'type_name', type(sink).__name__)}"

    def emit(self, event: LineageEvent) -> None:
        """Emit to each sink in turn; a sink that raises is counted and skipped for this event."""
        for index, sink in enumerate(self.sinks):
            label = self._label(index)
            try:
                sink.emit(event)
            except BaseException:  # worker thread only (module docstring)
                self._failed(label, "emit")
            else:
                self.delivered[label] += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Flush each sink within what is left of ``timeout``; True only if all succeeded."""
        deadline = None if timeout is None else time.monotonic() + timeout
        ok = True
        for index, sink in enumerate(self.sinks):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                ok = sink.flush(remaining) and ok
            except BaseException:  # worker thread only (module docstring)
                self._failed(self._label(index), "flush")
                ok = False
        return ok

    def close(self, timeout: float | None = None) -> None:
        """Close every sink (each gets what is left of ``timeout``), whatever the others do."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for index, sink in enumerate(self.sinks):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                sink.close(remaining)
            except Exception:
                self._failed(self._label(index), "close")

    def describe(self) -> str:
        return ", ".join(sink.describe() for sink in self.sinks) or "no sinks"

    def job_names(self, namespace: str, application: str) -> list[tuple[DatasetRef, str]]:
        """Every sink's known job names, in sink order; a sink that fails is counted and skipped."""
        known: list[tuple[DatasetRef, str]] = []
        for index, sink in enumerate(self.sinks):
            try:
                known.extend(sink.job_names(namespace, application))
            except BaseException:  # worker thread only (module docstring)
                self._failed(self._label(index), "job_names")
        return known

    def _failed(self, label: str, action: str) -> None:
        self.errors[label] = self.errors.get(label, 0) + 1
        self._warn.warning(
            f"{label}:{action}",
            "spark-lineage: sink %s failed in %s (%d failure(s) so far); other sinks continue",
            label,
            action,
            self.errors[label],
            exc_info=True,
        )
