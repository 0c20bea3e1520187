"""Ctrl-C that waits for the write in progress to finish.

Python raises ``KeyboardInterrupt`` at whatever bytecode is running when SIGINT arrives. Inside
the Neo4j driver that can be half-way through packing a message into its buffer: the driver's
own clean-up then fails (``BufferError: Existing exports of data``) and the interrupt turns into
a confusing driver failure. :class:`SafeInterrupt` keeps Ctrl-C immediate everywhere except in
the sections marked :meth:`SafeInterrupt.shielded`; a Ctrl-C there is raised as soon as the
section ends, and a second Ctrl-C is raised at once (the user insists).

Only the main thread can own a signal handler; elsewhere this is a no-op.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType
from typing import Any


class SafeInterrupt:
    """Context manager: install the handler on entry, restore the previous one on exit."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False
        self._depth = 0
        self._pending = False

    def __enter__(self) -> SafeInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
            self._installed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """A section a first Ctrl-C does not cut: the interrupt is raised when it ends."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self._pending:
            self._pending = False
            raise KeyboardInterrupt

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self._depth == 0 or self._pending:
            self._pending = False
            raise KeyboardInterrupt
        self._pending = True
