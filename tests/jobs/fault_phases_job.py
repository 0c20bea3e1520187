"""A job a fault test can steer from outside: small writes in phases, paced by marker files.

Usage: fault_phases_job.py <work dir> <control dir> <queries per phase>[,<queries>...]

Writes its pid to ``<control>/pid``, then for each phase ``k`` waits for ``<control>/go-<k>``
(so the test can change the world -- a resource limit, a network path -- between phases), runs
that many tiny writes, each to its own path ``<work>/p<k>-q<i>`` (so every lineage event names
the query it came from), prints ``WROTE p<k>-q<i>`` after each and ``PHASE <k> DONE`` after the
phase. Only ``spark.range`` is used: the Python driver writes no file of its own besides the
lineage spool. Prints ``DONE <queries>`` at the end and exits without stopping the session (the
agent closes at interpreter exit). Exits with code 3 if a go file does not come within 300 s.
"""

import os
import sys
import time
from pathlib import Path

from pyspark.sql import SparkSession


def wait_for(marker: Path, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not marker.exists():
        if time.monotonic() > deadline:
            print(f"TIMEOUT waiting for {marker}", flush=True)
            sys.exit(3)
        time.sleep(0.05)


def main(work: Path, control: Path, phases: list[int]) -> None:
    spark = SparkSession.builder.appName("fault-phases-job").getOrCreate()
    pid_file = control / "pid"
    (control / "pid.tmp").write_text(str(os.getpid()))
    os.replace(control / "pid.tmp", pid_file)
    total = 0
    for phase, count in enumerate(phases):
        wait_for(control / f"go-{phase}")
        for index in range(count):
            name = f"p{phase}-q{index}"
            spark.range(3).selectExpr("id AS n", f"id * {index + 1} AS v").write.parquet(
                str(work / name)
            )
            total += 1
            print("WROTE", name, flush=True)
        print("PHASE", phase, "DONE", flush=True)
    print("DONE", total, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), [int(n) for n in sys.argv[3].split(",")])
