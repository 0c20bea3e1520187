"""How long the agent holds Spark's listener thread per query (target: < 1 ms at p50).

Two measures per workload:

* ``python``: time inside the Python callback (``QueryListener`` stats): stash + enqueue.
* ``jvm``: what Spark's listener bus itself timed for the ``ExecutionListenerBus`` (the bus
  listener that calls every QueryExecutionListener), i.e. the py4j round trip included. The bus
  times every event it delivers; the slowest ``queries`` samples of its timer's reservoir are the
  query-end events (the others do nothing), so those are reported. Run once without the agent for
  the baseline (``--no-agent``).

Usage::

    .venv/bin/python benchmarks/listener_overhead.py            # agent attached
    .venv/bin/python benchmarks/listener_overhead.py --no-agent # baseline
    .venv/bin/python benchmarks/listener_overhead.py --both     # both, one after the other

Workloads: ``small`` (``range(n).count()``) and ``wide`` (a 1,000-column projection collected,
whose ``toJSON`` alone costs tens of ms: it must land on the worker, not on the listener thread).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def percentiles(values_ns: list[int]) -> dict[str, float]:
    if not values_ns:
        return {"n": 0}
    ordered = sorted(values_ns)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] / 1e6

    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.50), 4),
        "p95_ms": round(pick(0.95), 4),
        "max_ms": round(ordered[-1] / 1e6, 4),
        "mean_ms": round(statistics.fmean(ordered) / 1e6, 4),
    }


def bus_timer_values(spark: Any) -> list[int]:
    """Reservoir samples (ns) of the listener-bus timer for ExecutionListenerBus."""
    registry = spark.sparkContext._jsc.sc().listenerBus().metrics().metricRegistry()
    timers = registry.getTimers()
    for name in list(timers.keySet().toArray()):
        if str(name).endswith("ExecutionListenerBus"):
            return [int(v) for v in timers.get(name).getSnapshot().getValues()]
    return []


def run(with_agent: bool, queries: int) -> dict[str, Any]:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("listener-overhead")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.lineage.openlineage.path", tempfile.mkdtemp() + "/events.jsonl")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    agent: Any = None
    if with_agent:
        from spark_lineage import attach

        agent = attach(spark)
    results: dict[str, Any] = {"agent": with_agent}
    bus = spark.sparkContext._jsc.sc().listenerBus()
    wide = spark.range(1).selectExpr(*[f"id + {i} AS c{i}" for i in range(1000)])
    for workload, action in (
        ("small", lambda n: spark.range(n + 1).count()),
        ("wide", lambda n: wide.collect()),
    ):
        count = queries if workload == "small" else max(5, queries // 10)
        for n in range(3):  # warm-up: first-call JIT and py4j class loading
            action(n)
        bus.waitUntilEmpty(60_000)
        if agent is not None:
            agent.flush(600)
            agent.listener.stats.durations_ns.clear()
        before = set_of(bus_timer_values(spark))
        started = time.perf_counter()
        for n in range(count):
            action(n)
        bus.waitUntilEmpty(60_000)
        elapsed = time.perf_counter() - started
        samples = [v for v in bus_timer_values(spark) if v not in before]
        entry: dict[str, Any] = {
            "queries": count,
            "wall_s": round(elapsed, 2),
            "jvm": percentiles(sorted(samples)[-count:]),
        }
        if agent is not None:
            entry["python"] = percentiles(agent.listener.stats.samples())
            flush_started = time.perf_counter()
            agent.flush(600)
            entry["worker_drain_s"] = round(time.perf_counter() - flush_started, 2)
        results[workload] = entry
    if agent is not None:
        results["health"] = agent.health().log_line()
        agent.close(600)
    spark.stop()
    return results


def set_of(values: list[int]) -> set[int]:
    return set(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="sys.setswitchinterval for the run (GIL hand-over; Python's default is 0.005 s)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-agent", action="store_true")
    mode.add_argument("--both", action="store_true")
    args = parser.parse_args()
    if args.both:
        for flag in ("--no-agent", None):
            cmd = [sys.executable, __file__, "--queries", str(args.queries)]
            if args.switch_interval is not None:
                cmd += ["--switch-interval", str(args.switch_interval)]
            subprocess.run([*cmd, flag] if flag else cmd, check=True)
        return
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    print(json.dumps(run(not args.no_agent, args.queries), indent=2))


if __name__ == "__main__":
    main()
