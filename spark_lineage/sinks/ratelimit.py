"""A warning that repeats at most once per interval per kind, with a count of what it held back.

Used on paths that can fire for every query (a full queue, a failing sink): the first occurrence
is logged at once, later ones are counted and summarised at the next allowed time, so a broken
sink on a busy job produces a handful of lines, not millions.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RateLimitedLog:
    """Log a warning of a given ``kind`` at most once per ``interval_s`` seconds."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, kind: str, message: str, *args: object, exc_info: bool = False) -> bool:
        """Log now if this kind was quiet for ``interval_s``; else count it. True when logged."""
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self._interval_s:
                self._held[kind] = self._held.get(kind, 0) + 1
                return False
            self._last[kind] = now
            held = self._held.pop(kind, 0)
        suffix = f" ({held} similar message(s) suppressed)" if held else ""
        self._logger.warning(message + suffix, *args, exc_info=exc_info)
        return True
