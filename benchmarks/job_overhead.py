"""Job overhead: the benchmark pipeline with no agent, our agent, and the OpenLineage Spark agent.

Each run is a separate ``spark-submit`` of ``benchmarks/pipeline/pipeline.py`` (same queries, same
data size, its own lake folder), and the variants alternate within each repetition (the order
rotates from one repetition to the next), so slow drifts of the shared machine's load hit every
variant alike:

* ``off``: no lineage agent (the baseline);
* ``ours-file``: ``--conf spark.lineage.enabled=true`` with the OpenLineage JSON-lines file sink;
* ``ours-file-profiled`` (only when asked for): ``ours-file`` with ``spark.lineage.profile.jvm``,
  which adds the JVM CPU of each stage to the cost profile;
* ``ours-neo4j``: the same with the Neo4j sink (a local server: started here on port 18687 with
  ``scripts/neo4j.sh`` and stopped at the end, or ``--neo4j-uri`` to reuse a running one);
* ``openlineage``: ``io.openlineage:openlineage-spark_<scala>`` (added to ``spark.jars`` from the
  project-local Maven repository ``.cache/m2``, fetched with ``mvn dependency:get`` when
  missing), file transport, column lineage on.

Figures per variant: the CPU seconds of all the driver's processes (the spark-submit JVM, which
in local mode also runs the executors, and the Python driver: user + system, as the kernel counts
them for the reaped process tree, the figure ``/proc/<pid>/stat`` gives as cutime + cstime), the
process wall time and the job-body wall time. Each is a median ratio to ``off`` taken within each
repetition, with a 95 % bootstrap interval (``spark_lineage.tools.intervals``), and our added CPU
per query and per event next to the OpenLineage agent's. Then driver memory (Python RSS, JVM heap
used at the end, JVM peak RSS); for our agent the health figures (listener-thread p50/p95, worker
time) and the worker's cost per stage (``spark_lineage.phases``). Then the lineage coverage of
``ours-file`` vs ``openlineage`` on the last repetition (``benchmarks/coverage.py``).

Repetitions: at least ``--reps`` (5), then more while an interval of the CPU ratio is wider than
``--target`` (+-1 %), up to ``--max-reps`` and as long as one more repetition fits in
``--budget-s``.

    .venv/bin/python benchmarks/job_overhead.py [--reps 5] [--budget-s 1200] [--out result.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from spark_lineage.tools.intervals import Interval, bootstrap_median, paired_ratios, settled
from spark_lineage.tools.jarset import maven_repo
from spark_lineage.tools.spark_conf import SMALL_DATA_CONF, delta_spark_conf

REPO = Path(__file__).resolve().parent.parent


def _coverage_module() -> Any:
    """benchmarks/coverage.py by path (the name would clash with the ``coverage`` package)."""
    spec = importlib.util.spec_from_file_location("bench_coverage", REPO / "benchmarks" /
                                                  "coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

PIPELINE = REPO / "benchmarks" / "pipeline" / "pipeline.py"

def _scala_suffix() -> str:
    """The Scala build of the installed PySpark: 2.12 for Spark 3.x, 2.13 from 4.0 on."""
    from pyspark import __version__

    return "2.12" if int(__version__.split(".")[0]) < 4 else "2.13"


OL_ARTIFACT = f"io.openlineage:openlineage-spark_{_scala_suffix()}"
OL_VERSION = "1.53.0"  # newest on Maven Central on 2026-11-26 (1.40.x-1.41.x do not resolve)
BENCH_PORT = 18687
NEO4J_PASSWORD = os.environ.get("SPARK_LINEAGE_NEO4J_PASSWORD", "spark-lineage")


def openlineage_jar(version: str) -> Path | None:
    """The OpenLineage Spark agent jar in the project-local Maven repository, fetched if missing."""
    group, artifact = OL_ARTIFACT.split(":")
    repo = maven_repo()
    jar = repo / group.replace(".", "/") / artifact / version / f"{artifact}-{version}.jar"
    if not jar.exists():
        subprocess.run(
            ["mvn", "-q", "-B", f"-Dmaven.repo.local={repo}",
             "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get",
             f"-Dartifact={OL_ARTIFACT}:{version}", "-Dtransitive=false"],
            check=False, capture_output=True, timeout=600,
        )
    return jar if jar.exists() else None


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3), "n": len(values)}


class Neo4jServer:
    """A bench Neo4j on BENCH_PORT (scripts/neo4j.sh), or an existing server when ``uri`` is set."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri or f"bolt://127.0.0.1:{BENCH_PORT}"
        self.owned = uri is None
        self.data = REPO / ".neo4j" / "bench" / "data"

    def __enter__(self) -> Neo4jServer:
        if self.owned:
            subprocess.run([str(REPO / "scripts" / "neo4j.sh"), "start", "--port", str(BENCH_PORT),
                            "--data", str(self.data), "--no-config"], check=True, cwd=REPO,
                           env={**os.environ, "NEO4J_PASSWORD": NEO4J_PASSWORD})
        return self

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            subprocess.run([str(REPO / "scripts" / "neo4j.sh"), "stop", "--data", str(self.data)],
                           check=False, cwd=REPO)


def variant_confs(name: str, work: Path, neo4j_uri: str | None,
                  ol_jar: Path | None) -> list[str]:
    confs: list[str] = []
    if name == "ours-file-profiled":  # the JVM CPU of each stage, at two py4j calls a stage
        confs += ["spark.lineage.profile.jvm=true"]
    if name in ("ours-file", "ours-file-profiled"):
        confs += ["spark.lineage.enabled=true", "spark.lineage.sinks=openlineage",
                  f"spark.lineage.openlineage.path={work / 'events.jsonl'}"]
    elif name == "ours-neo4j":
        confs += ["spark.lineage.enabled=true", "spark.lineage.sinks=neo4j",
                  f"spark.lineage.neo4j.uri={neo4j_uri}", "spark.lineage.neo4j.user=neo4j",
                  f"spark.lineage.neo4j.spool.dir={work / 'spool'}"]
    elif name == "openlineage":
        assert ol_jar is not None
        confs += [
            "spark.extraListeners=io.openlineage.spark.agent.OpenLineageSparkListener",
            "spark.openlineage.transport.type=file",
            f"spark.openlineage.transport.location={work / 'openlineage.jsonl'}",
            "spark.openlineage.columnLineage.datasetLineageEnabled=true",
            "spark.openlineage.namespace=bench",
        ]
    return confs


def run_once(name: str, work: Path, scale: int, neo4j_uri: str | None,
             ol_jar: Path | None, cores: int, small: bool = False) -> dict[str, Any]:
    """One spark-submit of the pipeline; its report plus the process wall time."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    python = sys.executable
    cmd = [str(Path(python).parent / "spark-submit"), "--master", f"local[{cores}]",
           "--driver-memory", "1g"]
    delta = delta_spark_conf()
    if name == "openlineage" and ol_jar is not None:  # one spark.jars list: --jars would replace it
        delta["spark.jars"] = f"{delta['spark.jars']},{ol_jar}"
    confs = [f"{k}={v}" for k, v in delta.items()]
    confs += [f"{k}={v}" for k, v in SMALL_DATA_CONF.items()]
    confs += ["spark.ui.enabled=false", f"spark.driver.extraJavaOptions=-Djava.io.tmpdir={work}"]
    confs += variant_confs(name, work, neo4j_uri, ol_jar)
    for conf in confs:
        cmd += ["--conf", conf]
    report = work / "report.json"
    cmd += [str(PIPELINE), "--root", str(work / "lake"), "--report", str(report),
            "--scale", str(scale)] + (["--small"] if small else [])
    env = {**os.environ, "PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python,
           "SPARK_LINEAGE_NEO4J_PASSWORD": NEO4J_PASSWORD,
           "PATH": f"{Path(python).parent}:{os.environ.get('PATH', '')}"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work, check=False,
                          timeout=1800)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (work / "spark-submit.log").write_text(proc.stdout + proc.stderr)
    result: dict[str, Any] = {"variant": name, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                              "rc": proc.returncode}
    if report.exists():
        result.update(json.loads(report.read_text()))
    else:
        tail = [line for line in (proc.stdout + proc.stderr).splitlines()
                if "Exception" in line or "Error" in line][:5]
        result["error"] = "\n".join(tail) or (proc.stdout + proc.stderr)[-2000:]
    return result


def _by_rep(runs: list[dict[str, Any]], name: str, key: str) -> dict[int, float]:
    """``key`` of each repetition's run of ``name`` that finished (rep -> value)."""
    return {r["rep"]: float(r[key]) for r in runs
            if r["variant"] == name and "body_s" in r and key in r}


def paired(runs: list[dict[str, Any]], name: str, key: str) -> tuple[list[float], list[float]]:
    """The baseline's and ``name``'s ``key``, for the repetitions where both finished."""
    base, other = _by_rep(runs, "off", key), _by_rep(runs, name, key)
    reps = sorted(set(base) & set(other))
    return [base[r] for r in reps], [other[r] for r in reps]


def ratio_interval(runs: list[dict[str, Any]], name: str, key: str) -> Interval | None:
    """The median ratio of ``name``'s ``key`` to the baseline's, paired within repetitions."""
    base, other = paired(runs, name, key)
    ratios = paired_ratios(base, other)
    return bootstrap_median(ratios) if ratios else None


def added_interval(runs: list[dict[str, Any]], name: str, key: str,
                   per: float) -> Interval | None:
    """``name``'s ``key`` minus the baseline's, per ``per`` (queries, events), in ms."""
    base, other = paired(runs, name, key)
    if not base or per <= 0:
        return None
    return bootstrap_median([(o - b) * 1000 / per for b, o in zip(base, other, strict=True)])


def cpu_intervals(runs: list[dict[str, Any]], names: list[str]) -> dict[str, Interval]:
    """The CPU ratio of every agent variant (what decides whether another repetition is due)."""
    found = {name: ratio_interval(runs, name, "cpu_s") for name in names if name != "off"}
    return {name: interval for name, interval in found.items() if interval is not None}


def phase_costs(healths: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The worker's stages: median over the runs of wall and CPU ms per event, and calls."""
    costs: dict[str, dict[str, float]] = {}
    names = dict.fromkeys(p for h in healths for p in h.get("phases", {}))
    for phase in names:
        rows = [(h["phases"][phase], max(h["processed"], 1)) for h in healths
                if phase in h.get("phases", {})]
        costs[phase] = {
            "calls": statistics.median(row["calls"] for row, _ in rows),
            "wall_ms_per_event": round(statistics.median(row["wall_ms"] / n for row, n in rows), 3),
            "cpu_ms_per_event": round(statistics.median(row["cpu_ms"] / n for row, n in rows), 3),
        }
        jvm = [row["jvm_cpu_ms"] / n for row, n in rows if "jvm_cpu_ms" in row]
        if jvm:
            costs[phase]["jvm_cpu_ms_per_event"] = round(statistics.median(jvm), 3)
    return costs


def summarize(runs: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    queries = max((r["health"]["seen"] for r in runs if "health" in r), default=0)
    for name in dict.fromkeys(names):
        ok = [r for r in runs if r["variant"] == name and "body_s" in r]
        failed = [r for r in runs if r["variant"] == name and "body_s" not in r]
        entry: dict[str, Any] = {
            "ok": len(ok), "failed": len(failed),
            "cpu_s": stats([r["cpu_s"] for r in ok if "cpu_s" in r]),
            "wall_s": stats([r["wall_s"] for r in ok]),
            "body_s": stats([r["body_s"] for r in ok]),
            "python_cpu_s": stats([r["python_cpu_s"] for r in ok if "python_cpu_s" in r]),
            "jvm_cpu_s": stats([r["jvm_cpu_s"] for r in ok if "jvm_cpu_s" in r]),
            "python_rss_mib": stats([r["python_rss_mib"] for r in ok]),
            "jvm_heap_used_mib": stats([r["jvm_heap_used_mib"] for r in ok]),
            "jvm_peak_rss_mib": stats([r["jvm_peak_rss_mib"] for r in ok]),
        }
        if failed:
            entry["error"] = failed[0].get("error", "")
        if name != "off":
            for key, label in (("cpu_s", "cpu_ratio"), ("wall_s", "wall_ratio"),
                               ("body_s", "body_ratio"), ("python_cpu_s", "python_cpu_ratio"),
                               ("jvm_cpu_s", "jvm_cpu_ratio")):
                interval = ratio_interval(runs, name, key)
                if interval is not None:
                    entry[label] = interval.to_dict()
            added = added_interval(runs, name, "cpu_s", queries)
            if added is not None:
                entry["added_cpu_ms_per_query"] = added.to_dict()
            rss = added_interval(runs, name, "python_rss_mib", 1000.0)  # MiB, not ms
            if rss is not None:
                entry["python_rss_added_mib"] = rss.to_dict()
        healths = [r["health"] for r in ok if "health" in r]
        if healths:
            events = statistics.median(h["processed"] for h in healths)
            added = added_interval(runs, name, "cpu_s", events)
            if added is not None:
                entry["added_cpu_ms_per_event"] = added.to_dict()
            entry["listener_p50_ms"] = stats([h["listener_ms_p50"] for h in healths])
            entry["listener_p95_ms"] = stats([h["listener_ms_p95"] for h in healths])
            entry["listener_max_ms"] = stats([h["listener_ms_max"] for h in healths])
            entry["worker_ms_mean"] = stats([h["worker_ms_mean"] for h in healths])
            entry["worker_ms_total"] = stats([h["worker_ms_total"] for h in healths])
            entry["worker_cpu_ms_total"] = stats([h.get("worker_cpu_ms_total", 0.0)
                                                  for h in healths])
            entry["phases"] = phase_costs(healths)
            entry["flush_s"] = stats([r.get("flush_s", 0.0) for r in ok])
            entry["queries_seen"] = healths[-1]["seen"]
            entry["events"] = healths[-1]["processed"]
            entry["agent_errors"] = sum(h["failed"] + h["listener_errors"] + h["skipped"]
                                        + sum(h["sink_errors"].values()) for h in healths)
        summary[name] = entry
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions at least")
    parser.add_argument("--max-reps", type=int, default=12, help="repetitions at most")
    parser.add_argument("--budget-s", type=float, default=1200.0,
                        help="no further repetition once it would end past this (seconds)")
    parser.add_argument("--target", type=float, default=0.01,
                        help="stop adding repetitions once every CPU ratio is known to +-this")
    parser.add_argument("--scale", type=int, default=100, help="customers (orders = 5x)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--neo4j-uri", help="reuse this server instead of starting one")
    parser.add_argument("--openlineage-version", default=OL_VERSION)
    parser.add_argument("--small", action="store_true", help="the pipeline's smoke subset")
    parser.add_argument("--variants", default="off,ours-file,ours-neo4j,openlineage")
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, help="write the result JSON here")
    args = parser.parse_args(argv)
    names = args.variants.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="job-overhead-"))
    result: dict[str, Any] = {"scale": args.scale, "reps": args.reps, "variants": names,
                              "small": args.small}
    ol_jar = None
    if "openlineage" in names:
        ol_jar = openlineage_jar(args.openlineage_version)
        result["openlineage_version"] = args.openlineage_version
        if ol_jar is None:
            result["openlineage_error"] = (f"{OL_ARTIFACT}:{args.openlineage_version} did not "
                                           "resolve from Maven Central")
            names.remove("openlineage")
    runs: list[dict[str, Any]] = []
    server = Neo4jServer(args.neo4j_uri) if "ours-neo4j" in names else None
    print(f"job overhead: {args.reps} rep(s) of {', '.join(names)}; work folder {work}",
          file=sys.stderr, flush=True)
    try:
        if server is not None:
            server.__enter__()
        started = time.monotonic()
        rep = 0
        while True:
            order = names[rep % len(names):] + names[: rep % len(names)]
            for name in order:
                run = run_once(name, work / name, args.scale,
                               server.uri if server else None, ol_jar, args.cores, args.small)
                run["rep"] = rep
                runs.append(run)
                if args.out:  # keep what ran so far, should a later step fail
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps({**result, "runs": runs}, default=str))
                print(f"  rep {rep} {name:<12} wall {run['wall_s']:7.1f} s"
                      f"  cpu {run['cpu_s']:7.1f} s"
                      f"  body {run.get('body_s', float('nan')):7.1f} s"
                      f"{'  FAILED rc=' + str(run['rc']) if 'body_s' not in run else ''}",
                      file=sys.stderr, flush=True)
            rep += 1
            intervals = cpu_intervals(runs, names)
            shown = ", ".join(f"{n} {i}" for n, i in intervals.items())
            print(f"  cpu ratio after rep {rep}: {shown}", file=sys.stderr, flush=True)
            elapsed = time.monotonic() - started
            if rep >= args.max_reps or (rep >= args.reps and (
                    settled(list(intervals.values()), args.target)
                    or elapsed + elapsed / rep > args.budget_s)):
                break
        result["reps"] = rep
    finally:
        if server is not None:
            server.__exit__(None, None, None)
    result["runs"] = runs
    result["summary"] = summarize(runs, names)
    if "ours-file" in names and "openlineage" in names:
        result["coverage"] = _coverage_module().compare(work / "ours-file" / "events.jsonl",
                                     work / "openlineage" / "openlineage.jsonl")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))
    else:
        print(json.dumps(result["summary"], indent=2))
    if not args.keep and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r.get("rc") == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
