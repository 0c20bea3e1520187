"""Repeated warnings (full queue, failing sink) are logged once per interval, with a held count."""

from __future__ import annotations

import logging

import pytest

from spark_lineage.sinks.ratelimit import RateLimitedLog


def test_repeats_within_the_interval_are_counted_then_summarised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    warn = RateLimitedLog(logging.getLogger("test.ratelimit"), 60.0, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="test.ratelimit")

    logged = [warn.warning("queue-full", "queue full") for _ in range(5)]
    now[0] = 61.0
    logged.append(warn.warning("queue-full", "queue full"))

    assert logged == [True, False, False, False, False, True]
    assert [r.getMessage() for r in caplog.records] == [
        "queue full",
        "queue full (4 similar message(s) suppressed)",
    ]


def test_kinds_are_limited_independently() -> None:
    warn = RateLimitedLog(logging.getLogger("test.ratelimit"), 60.0, clock=lambda: 0.0)
    assert warn.warning("sink-a", "a") is True
    assert warn.warning("sink-b", "b") is True
    assert warn.warning("sink-a", "a") is False
