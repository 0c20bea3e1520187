"""The worker's stage clock: totals per stage, in the worker's order, also when a stage raises."""

from __future__ import annotations

import time

import pytest

from spark_lineage.phases import NO_CLOCK, PHASES, PhaseClock


def busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_stage_adds_its_calls_wall_time_and_thread_cpu_time() -> None:
    clock = PhaseClock()
    for _ in range(3):
        with clock.measure("lineage"):
            busy(0.01)

    (name, cost), = clock.snapshot().items()
    assert name == "lineage"
    assert cost.calls == 3
    assert cost.wall_ms >= 30
    assert 0 < cost.cpu_ms <= cost.wall_ms + 1  # a busy loop: CPU close to wall, never above it


def test_waiting_counts_as_wall_time_but_not_as_cpu_time() -> None:
    clock = PhaseClock()
    with clock.measure("capture.plan"):
        time.sleep(0.05)

    cost = clock.snapshot()["capture.plan"]
    assert cost.wall_ms >= 50
    assert cost.cpu_ms < 10


def test_a_stage_that_raises_is_still_counted() -> None:
    clock = PhaseClock()
    with pytest.raises(RuntimeError), clock.measure("sink"):
        raise RuntimeError("backend down")

    assert clock.snapshot()["sink"].calls == 1


def test_stages_are_listed_in_the_workers_order_then_others_by_name() -> None:
    clock = PhaseClock()
    for name in ("sink", "zeta", "capture.plan", "alpha", "outcome"):
        clock.add(name, 1_000, 500)

    assert list(clock.snapshot()) == ["outcome", "capture.plan", "sink", "alpha", "zeta"]
    assert set(PHASES) >= {"outcome", "capture.plan", "sink"}


def test_the_figures_are_reported_in_milliseconds() -> None:
    clock = PhaseClock()
    clock.add("event", 2_500_000, 1_250_000)

    assert clock.snapshot()["event"].to_dict() == {"calls": 1, "wall_ms": 2.5, "cpu_ms": 1.25}


def test_the_null_clock_records_nothing() -> None:
    with NO_CLOCK.measure("lineage"):
        busy(0.001)

    assert NO_CLOCK.snapshot() == {}


def test_with_a_jvm_clock_a_stage_also_records_the_jvm_threads_cpu_time() -> None:
    readings = iter([1_000_000, 4_000_000, 10_000_000, 11_000_000])  # ns, two stages
    clock = PhaseClock(jvm_cpu=lambda: next(readings))
    with clock.measure("capture.plan"):
        pass
    with clock.measure("capture.plan"):
        pass

    cost = clock.snapshot()["capture.plan"]
    assert cost.jvm_cpu_ms == 4.0  # 3 ms + 1 ms
    assert cost.to_dict()["jvm_cpu_ms"] == 4.0


def test_without_a_jvm_clock_or_when_it_fails_a_stage_has_its_python_figures_only() -> None:
    def gone() -> int:
        raise ConnectionError("the JVM has stopped")

    for clock in (PhaseClock(), PhaseClock(jvm_cpu=gone)):
        with clock.measure("sink"):
            pass
        cost = clock.snapshot()["sink"]
        assert cost.calls == 1 and cost.jvm_cpu_ms is None
        assert "jvm_cpu_ms" not in cost.to_dict()
