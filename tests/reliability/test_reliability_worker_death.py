"""The agent's worker thread dying, not just raising: noticed, replaced, losses counted.

What the agent does (``spark_lineage/agent.py``): the worker survives anything a stage raises,
``BaseException`` included, and a sink's ``BaseException`` costs the other sinks nothing. When the
thread dies anyway (killed with an asynchronous exception, or an exception raised while it reports
an error), the next ``offer``/``submit``/``flush`` notices, logs one ERROR line, starts a new worker
on the same queue (queued queries are kept) and counts the event that was in hand as ``lost``.
The job never fails or waits; ``flush`` and ``close`` stay bounded.

Each case runs real queries on the shared Spark session with the agent attached and an
OpenLineage file sink as the witness of what was delivered.
"""

from __future__ import annotations

import ctypes
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fault_helpers import wait_until
from reliability_helpers import figure

from spark_lineage.agent import MAX_WORKER_RESTARTS, LineageAgent, attach, detach
from spark_lineage.capture.plan import capture_plan
from spark_lineage.model import CapturedPlan, LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.registry import register_sink

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

WORKER = "spark-lineage-worker"


class Shutdown(BaseException):
    """Not an Exception: what a library's "stop everything" signal looks like."""


class ShuttingDownSink(Sink):
    """A sink whose every call ends in a BaseException: SystemExit on emit, Shutdown on flush."""

    type_name = "shutting-down"

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> ShuttingDownSink:
        return cls()

    def emit(self, event: LineageEvent) -> None:
        sys.exit("a library gave up")

    def flush(self, timeout: float | None = None) -> bool:
        raise Shutdown("flush interrupted")


register_sink("shutting-down", ShuttingDownSink)


def written_paths(events_file: Path) -> list[str]:
    """Output paths of the write events the OpenLineage sink received, in order."""
    if not events_file.exists():
        return []
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    return [output["name"] for event in events for output in event["outputs"]]


def live_workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WORKER and t.is_alive()]


def kill_thread(thread: threading.Thread) -> None:
    """Raise SystemExit in ``thread`` at its next bytecode (the CPython way to kill a thread)."""
    assert thread.ident is not None
    hit = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(SystemExit)
    )
    assert hit == 1, hit


def idle_in_queue_get(thread: threading.Thread) -> bool:
    """True when ``thread`` waits in ``queue.Queue.get`` (between two events)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "get" and frame.f_code.co_filename.endswith("queue.py"):
            return True
        frame = frame.f_back
    return False


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


@pytest.fixture
def detached(spark: Any) -> Iterator[None]:
    yield
    detach(spark, 30)


def test_a_sink_raising_base_exceptions_neither_kills_the_worker_nor_starves_other_sinks(
    spark: Any, tmp_path: Path, events_file: Path, detached: None
) -> None:
    agent = attach(spark, {"spark.lineage.sinks": "shutting-down,openlineage",
                           "spark.lineage.openlineage.path": str(events_file)})
    assert isinstance(agent, LineageAgent)
    targets = [str(tmp_path / f"out{n}") for n in range(3)]
    for target in targets:
        spark.range(3).selectExpr("id AS n").write.parquet(target)

    started = time.monotonic()
    flushed = agent.flush(30)
    flush_s = time.monotonic() - started
    health = agent.health()
    started = time.monotonic()
    agent.close(30)
    close_s = time.monotonic() - started

    assert flushed is False  # the shutting-down sink could not flush: said, not raised
    assert written_paths(events_file) == targets  # the other sink got every event
    assert health.processed == 3 and health.lost == 0 and health.worker_restarts == 0
    assert health.sink_errors["0:shutting-down"] == 4  # 3 emits + 1 flush
    assert health.sink_errors["1:openlineage"] == 0
    assert flush_s < 10 and close_s < 10
    figure("BaseException sink: events delivered to the other sink", f"{len(targets)} of 3")
    figure("BaseException sink: flush / close seconds", f"{flush_s:.2f} / {close_s:.2f}")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_killed_between_events_is_replaced_and_nothing_is_lost(
    spark: Any, tmp_path: Path, events_file: Path, detached: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, {"spark.lineage.sinks": "openlineage",
                           "spark.lineage.openlineage.path": str(events_file)})
    assert isinstance(agent, LineageAgent)
    targets = [str(tmp_path / f"out{n}") for n in range(3)]
    spark.range(3).write.parquet(targets[0])
    assert agent.flush(60)
    (worker,) = live_workers()
    wait_until(lambda: idle_in_queue_get(worker), 10, "the worker to wait for the next event")

    kill_thread(worker)
    spark.range(3).write.parquet(targets[1])  # wakes the worker, which dies on waking
    worker.join(30)
    assert not worker.is_alive(), "the killed worker is still running"
    started = time.monotonic()
    spark.range(3).write.parquet(targets[2])  # this query's offer finds the worker dead
    job_s = time.monotonic() - started
    assert agent.flush(60)
    health = agent.health()
    agent.close(30)

    deaths = [r for r in caplog.records if "worker thread died" in r.getMessage()]
    assert len(deaths) == 1 and deaths[0].levelno == logging.ERROR
    assert written_paths(events_file) == targets  # the query queued at the death is kept
    assert health.worker_restarts == 1 and health.lost == 0
    assert health.processed == 3 and health.skipped == 0
    assert live_workers() == []  # the replacement stopped at close
    figure("worker killed while idle: events delivered / lost / restarts",
           f"{len(written_paths(events_file))} / {health.lost} / {health.worker_restarts}")
    figure("worker killed while idle: query time when the death is noticed (s)", f"{job_s:.2f}")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_dying_with_an_event_in_hand_counts_it_lost_and_the_rest_goes_on(
    spark: Any, tmp_path: Path, events_file: Path, detached: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A capture that raises SystemExit for one query (a BaseException no lineage guard takes)
    and, while the worker reports it, the application's logging filter raising as well: the
    thread dies with that query's event in hand."""
    poison = str(tmp_path / "poison")

    def capture(query_execution: Any, function_name: str, ended_at_ms: int) -> CapturedPlan:
        plan = capture_plan(query_execution, function_name, ended_at_ms)
        if poison in json.dumps(plan.to_dict(), default=str):
            raise SystemExit("capture gave up")
        return plan

    class BrokenFilter(logging.Filter):
        fired = 0

        def filter(self, record: logging.LogRecord) -> bool:
            if record.getMessage().startswith("spark-lineage: worker error") and not self.fired:
                self.fired += 1
                raise SystemExit("logging gave up")
            return True

    broken = BrokenFilter()
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, {"spark.lineage.sinks": "openlineage",
                           "spark.lineage.openlineage.path": str(events_file)}, capture=capture)
    assert isinstance(agent, LineageAgent)
    logging.getLogger("spark_lineage").addFilter(broken)
    try:
        before, after = str(tmp_path / "before"), str(tmp_path / "after")
        spark.range(3).write.parquet(before)
        assert agent.flush(60)
        (worker,) = live_workers()
        spark.range(3).write.parquet(poison)
        worker.join(30)
        assert not worker.is_alive() and broken.fired == 1
        spark.range(3).write.parquet(after)
        started = time.monotonic()
        assert agent.flush(60)
        flush_s = time.monotonic() - started
        health = agent.health()
        started = time.monotonic()
        agent.close(30)
        close_s = time.monotonic() - started
    finally:
        logging.getLogger("spark_lineage").removeFilter(broken)

    assert written_paths(events_file) == [before, after]
    assert health.lost == 1 and health.worker_restarts == 1
    assert health.processed == 2
    deaths = [r for r in caplog.records if "worker thread died" in r.getMessage()]
    assert len(deaths) == 1 and "1 event(s) lost so far" in deaths[0].getMessage()
    assert "lost=1 worker_restarts=1" in health.log_line()
    assert flush_s < 10 and close_s < 10
    figure("worker died with an event in hand: delivered / lost / restarts",
           f"2 / {health.lost} / {health.worker_restarts}")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_that_keeps_dying_is_given_up_on_with_every_loss_counted_and_nothing_hangs(
    spark: Any, tmp_path: Path, events_file: Path, detached: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, {"spark.lineage.sinks": "openlineage",
                           "spark.lineage.openlineage.path": str(events_file)})
    assert isinstance(agent, LineageAgent)
    kept: list[str] = []
    for death in range(MAX_WORKER_RESTARTS + 1):
        (worker,) = live_workers()
        wait_until(partial(idle_in_queue_get, worker), 10, "the worker to wait for an event")
        kill_thread(worker)
        target = str(tmp_path / f"out{death}")
        spark.range(2).write.parquet(target)  # wakes the worker, which dies; the query stays
        worker.join(30)
        assert not worker.is_alive()
        if death < MAX_WORKER_RESTARTS:
            assert agent.flush(60)  # notices the death, replaces the worker, delivers the query
            kept.append(target)
    started = time.monotonic()
    assert agent.flush(30) is False  # given up: says so at once
    flush_s = time.monotonic() - started
    spark.range(2).write.parquet(str(tmp_path / "after"))  # skipped, counted, job unaffected
    # Spark's listener bus is asynchronous, and a given-up agent's flush does not wait for it
    wait_until(lambda: agent.health().seen == MAX_WORKER_RESTARTS + 2, 30,
               "the listener to see the query after giving up")
    started = time.monotonic()
    agent.close(30)
    close_s = time.monotonic() - started
    health = agent.health()

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum("worker thread died (death" in m for m in messages) == MAX_WORKER_RESTARTS
    assert sum("giving up" in m for m in messages) == 1
    assert sum("queued event(s) lost" in m for m in messages) == 1
    assert written_paths(events_file) == kept
    assert health.worker_restarts == MAX_WORKER_RESTARTS
    assert health.lost == 1  # the query queued when the last worker died, counted at close
    assert health.skipped >= 1  # queries after giving up
    assert health.processed + health.lost + health.skipped == health.seen
    assert flush_s < 1 and close_s < 10
    assert live_workers() == []
    figure("worker dying again and again: restarts before giving up / lost / skipped after",
           f"{health.worker_restarts} / {health.lost} / {health.skipped}")
