"""CLI start-up: ``spark-lineage --help``, and a small ``impact`` to its first row.

    .venv/bin/python benchmarks/cli_start.py --uri bolt://127.0.0.1:18687 [--reps 15]

Writes one tiny run (``<root>/src`` columns a, b, c copied into ``<root>/dst``) with the graph
writer, then runs, interleaved and rotated so that load drifts hit every variant alike:

* ``python``: ``python -c pass``, the interpreter's own start (the floor);
* ``help``: ``spark-lineage --help``, to its exit;
* ``impact``: ``spark-lineage impact <root>/src --column a --format csv``, to the first row
  on standard output (the header is line one, the first row line two).

Each variant's wall time (median, p95, min, max over the repetitions, and the median minus the
floor) and CPU seconds (user + sys of the process, from ``wait4``) are printed, then one JSON
document. The run is removed from the graph at the end. Goals (issue 20): help <= 0.3 s,
impact's first row <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "spark-lineage"
GOALS_S = {"help": 0.3, "impact": 0.5}


def write_run(uri: str, user: str, password: str, root: str) -> None:
    import neo4j

    from spark_lineage.graph.writer import GraphWriter
    from spark_lineage.model import (
        AppContext,
        ColumnEdge,
        ColumnRef,
        DatasetRef,
        EventType,
        InputDataset,
        LineageEvent,
        OutputDataset,
        SchemaField,
        Transformation,
        TransformationSubtype,
    )

    source, target = DatasetRef("file", f"{root}/src"), DatasetRef("file", f"{root}/dst")
    identity = Transformation(TransformationSubtype.IDENTITY)
    schema = tuple(SchemaField(c, "string") for c in ("a", "b", "c"))
    edges = tuple(ColumnEdge(ColumnRef(source, f.name), ColumnRef(target, f.name), identity)
                  for f in schema)
    now_ms = int(time.time() * 1000)
    event = LineageEvent(
        run_id=str(uuid.uuid4()), event_type=EventType.COMPLETE, job_namespace="cli-bench",
        job_name=f"copy{root}", event_time_ms=now_ms, started_at_ms=now_ms - 1000,
        ended_at_ms=now_ms, app=AppContext("cli-bench", "cli-bench"),
        inputs=(InputDataset(source, schema),),
        outputs=(OutputDataset(target, schema, edges=edges),),
    )
    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        GraphWriter(driver).write(event)


def remove_run(uri: str, user: str, password: str, root: str) -> None:
    import neo4j

    sys.path.insert(0, str(REPO / "tests"))
    from graph_inspect import delete_scope

    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as driver:
        delete_scope(driver, f"file::{root}", "cli-bench::")


def timed(argv: list[str], env: dict[str, str], until_line: int | None) -> tuple[float, float]:
    """(wall seconds to exit, or to output line ``until_line``; CPU seconds of the process)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            cwd=REPO)
    assert proc.stdout is not None
    wall = None
    if until_line is not None:
        for number, _ in enumerate(proc.stdout, start=1):
            if number == until_line:
                wall = time.perf_counter() - started
                break
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if wall is None:
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(values), 3), "p95": round(p95, 3),
            "min": round(ordered[0], 3), "max": round(ordered[-1], 3), "n": len(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args(argv)
    password = os.environ.get("SPARK_LINEAGE_NEO4J_PASSWORD", "spark-lineage")
    root = f"/cli-bench-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "SPARK_LINEAGE_NEO4J_URI": args.uri,
           "SPARK_LINEAGE_NEO4J_USER": args.user, "SPARK_LINEAGE_NEO4J_PASSWORD": password}
    variants: dict[str, tuple[list[str], int | None]] = {
        "python": ([sys.executable, "-c", "pass"], None),
        "help": ([str(CLI), "--help"], None),
        "impact": ([str(CLI), "impact", f"{root}/src", "--column", "a", "--format", "csv"], 2),
    }
    write_run(args.uri, args.user, password, root)
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    try:
        names = list(variants)
        for name in names:  # one unmeasured start each: file caches warm for every variant
            timed(variants[name][0], env, variants[name][1])
        for rep in range(args.reps):
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                wall, cpu = timed(variants[name][0], env, variants[name][1])
                walls[name].append(wall)
                cpus[name].append(cpu)
    finally:
        remove_run(args.uri, args.user, password, root)
    floor = statistics.median(walls["python"])
    result: dict[str, Any] = {"reps": args.reps, "load_average": list(os.getloadavg()),
                              "variants": {}}
    for name in variants:
        wall, cpu = summary(walls[name]), summary(cpus[name])
        entry: dict[str, Any] = {"wall_s": wall, "cpu_s": cpu,
                                 "above_floor_s": round(wall["median"] - floor, 3)}
        if name in GOALS_S:
            entry["goal_s"] = GOALS_S[name]
            entry["met"] = wall["median"] <= GOALS_S[name]
        result["variants"][name] = entry
        print(f"{name:<7} wall median {wall['median']:.3f} s p95 {wall['p95']:.3f} s "
              f"(min {wall['min']:.3f}, max {wall['max']:.3f}); cpu median {cpu['median']:.3f} s"
              + (f"; goal {GOALS_S[name]} s: {'met' if entry['met'] else 'missed'}"
                 if name in GOALS_S else " (interpreter floor)"))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
