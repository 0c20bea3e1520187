"""Progress of a long command on stderr: a count, a rate and the time left when it is known.

Shown only when the stream is a terminal (a cron job's log or a pipe gets nothing), redrawn in
place at most :data:`INTERVAL` apart, and ended with a newline so the command's own summary
starts on a clean line. Nothing is drawn for a run shorter than one interval. The library code
that does the work only sees a plain callback, :data:`ProgressCallback`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

#: ``callback(count, fraction)``: ``count`` things done so far, ``fraction`` of the whole work
#: done (0..1) when the total is known, else None.
ProgressCallback = Callable[[int, float | None], None]

#: Seconds between two redraws (and before the first one).
INTERVAL = 0.25


def duration(seconds: float) -> str:
    """``45s``, ``3m 05s``, ``2h 10m``: short and rounded, as a person reads a time left."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


class Progress:
    """One progress line for ``label`` counting ``unit`` (``load: 1,204 event(s), 310/s, ...``).

    Use it as a context manager (the line is finished on the way out, also on Ctrl-C) and pass
    :meth:`update` as the work's callback. ``stream`` defaults to stderr and ``clock`` to
    :func:`time.monotonic` (tests inject both).
    """

    def __init__(
        self,
        label: str,
        unit: str,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self._label = label
        self._unit = unit
        self._stream = sys.stderr if stream is None else stream
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._next_draw = self._started + interval
        self._shown = 0  # width of the line on screen (0: nothing drawn yet)
        self._count = 0
        self._fraction: float | None = None
        self.enabled = _is_terminal(self._stream)

    def update(self, count: int, fraction: float | None = None) -> None:
        """Record the progress; redraw when the last drawing is old enough."""
        self._count, self._fraction = count, fraction
        if not self.enabled:
            return
        now = self._clock()
        if now >= self._next_draw:
            self._draw(now)
            self._next_draw = now + self._interval

    def finish(self) -> None:
        """Draw the final state and end the line, if anything was drawn."""
        if self.enabled and self._shown:
            self._draw(self._clock())
            self._stream.write("\n")
            self._stream.flush()
            self._shown = 0

    def line(self, now: float) -> str:
        """The text of the progress line at ``now``."""
        elapsed = max(now - self._started, 1e-9)
        parts = [f"{self._label}: {self._count:,} {self._unit}", f"{self._count / elapsed:,.0f}/s"]
        fraction = self._fraction
        if fraction is not None and fraction > 0:
            fraction = min(fraction, 1.0)
            parts.append(f"{fraction:.0%}")
            parts.append(f"about {duration(elapsed * (1 - fraction) / fraction)} left")
        return ", ".join(parts)

    def _draw(self, now: float) -> None:
        text = self.line(now)[: _columns(self._stream) - 1]  # a wrapped line cannot be redrawn
        self._stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self._stream.flush()
        self._shown = len(text)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()


def _columns(stream: TextIO) -> int:
    """The terminal's width (80 when it does not say)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        return 80


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False
