"""Job start cost: from ``spark-submit`` to the end of the job's first query.

A demo job spends most of its life starting: JVM, py4j, SparkSession, Delta. This benchmark times
``spark-submit benchmarks/pipeline/first_query.py`` (build the session, one small Delta write)
from the moment the process is spawned to the moment the job prints that its first query is done,
for these variants, alternating within each repetition (the order rotates):

* ``packages``: Delta through ``--packages``, resolved by Spark's Ivy at every start (the way the
  project started its sessions before the locked jar set), from the project-local Maven
  repository, offline, with a warm Ivy cache;
* ``locked``: the locked local jars on ``spark.jars`` (what every project session does now);
* ``locked-cds``: the same plus the class-data-sharing archive of the driver JVM that the demo's
  jobs use (:mod:`spark_lineage.tools.cds`; written by the warm-up run).

All variants run with the agent on (``--conf spark.lineage.enabled=true``, file sink), as in the
demo. One warm-up run per variant is not counted. Figures: min / median / max seconds per variant
and the median ratio to ``packages``.

    .venv/bin/python benchmarks/job_start.py [--reps 5] [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from spark_lineage.tools import jarset
from spark_lineage.tools.cds import DriverClassArchive
from spark_lineage.tools.spark_conf import SMALL_DATA_CONF, delta_spark_conf

REPO = Path(__file__).resolve().parent.parent
JOB = REPO / "benchmarks" / "pipeline" / "first_query.py"
VARIANTS = ("packages", "locked", "locked-cds")
#: The class archive of the ``locked-cds`` variant (one per benchmark folder, written at warm-up).
ARCHIVES: dict[Path, DriverClassArchive] = {}


def variant_conf(name: str, bench: Path) -> tuple[list[str], dict[str, str]]:
    """(extra spark-submit arguments, confs) of one variant."""
    conf = {**SMALL_DATA_CONF, "spark.ui.enabled": "false", "spark.lineage.enabled": "true",
            "spark.lineage.sinks": "openlineage"}
    delta = delta_spark_conf()
    if name == "packages":
        lock = jarset.read_lock()
        settings = bench / "ivysettings.xml"
        settings.write_text(
            '<ivysettings><settings defaultResolver="local"/><resolvers><ibiblio name="local" '
            f'm2compatible="true" root="{jarset.maven_repo().as_uri()}"/></resolvers>'
            "</ivysettings>\n", encoding="utf-8")
        conf.update({"spark.jars.ivySettings": str(settings),
                     "spark.jars.ivy": str(bench / "ivy"),
                     "spark.jars.excludes": ",".join(lock.provided_by_spark),
                     "spark.sql.extensions": delta["spark.sql.extensions"],
                     "spark.sql.catalog.spark_catalog": delta["spark.sql.catalog.spark_catalog"]})
        return ["--packages", lock.root], conf
    conf.update(delta)
    if name == "locked-cds":
        conf["spark.driver.extraJavaOptions"] = ARCHIVES.setdefault(
            bench, DriverClassArchive(bench / "cds")).java_options()
    return [], conf


def run_once(name: str, bench: Path) -> float | None:
    """Seconds from spawn to FIRST_QUERY_DONE, or None when the job failed."""
    work = bench / f"work-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    args, conf = variant_conf(name, bench)
    conf["spark.lineage.openlineage.path"] = str(work / "events.jsonl")
    command = [str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]", *args]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    started = time.perf_counter()
    with subprocess.Popen([*command, str(JOB), str(work)], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=env, cwd=work) as proc:
        assert proc.stdout is not None
        done: float | None = None
        for line in proc.stdout:
            if line.startswith("FIRST_QUERY_DONE") and done is None:
                done = time.perf_counter() - started
        proc.wait(timeout=300)
    if name == "locked-cds":
        ARCHIVES[bench].job_finished(proc.returncode == 0)
    return done if proc.returncode == 0 else None


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2),
            "max": round(max(values), 2), "n": len(values)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    names = [n for n in args.variants.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        bench = Path(tmp)
        for name in names:  # warm-up: Ivy cache, page cache, the CDS archive
            run_once(name, bench)
        times: dict[str, list[float]] = {name: [] for name in names}
        failed: dict[str, int] = dict.fromkeys(names, 0)
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                seconds = run_once(name, bench)
                if seconds is None:
                    failed[name] += 1
                else:
                    times[name].append(seconds)
                print(f"rep {rep + 1} {name:<11} "
                      f"{'failed' if seconds is None else f'{seconds:.2f} s'}", file=sys.stderr)
    base = statistics.median(times["packages"]) if times.get("packages") else None
    summary: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {"seconds": stats(times[name]), "failed": failed[name]}
        if base and times[name]:
            entry["ratio_to_packages"] = round(statistics.median(times[name]) / base, 3)
        summary[name] = entry
        s = entry["seconds"]
        if s["n"]:
            print(f"{name:<11} start to first query: min {s['min']:.2f} s, median "
                  f"{s['median']:.2f} s, max {s['max']:.2f} s (n={s['n']})"
                  + (f", {entry['ratio_to_packages']:.3f} x packages" if base else ""))
    result = {"reps": args.reps, "variants": summary, "load_average": list(os.getloadavg())}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0 if all(v == 0 for v in failed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
