"""The benchmark suite: one command, one table, one results file.

    .venv/bin/python benchmarks/run.py            # full suite (writes results/latest.{json,md})
    .venv/bin/python benchmarks/run.py --quick    # smoke run (writes results/quick.{json,md})

Runs, one process at a time (the machine is shared):

1. ``job_overhead.py``: the benchmark pipeline as separate spark-submit runs, interleaved agent
   off / our agent (file sink, Neo4j sink) / the OpenLineage Spark agent, 5 or more repetitions;
   CPU and wall ratios with bootstrap intervals, driver memory, our health figures and the
   worker's cost per stage, and the lineage coverage of both agents on the same queries;
2. ``listener_overhead.py``: time on Spark's listener thread per query, agent off and on;
3. ``lineage_extraction.py``: capture and lineage time against plan size, growth exponents;
4. ``neo4j_visibility.py``: from a query's end to its lineage visible in Neo4j, p50/p95;
5. ``neo4j_write_throughput.py``: batched vs one-statement-per-edge writes;
6. ``job_start.py``: from ``spark-submit`` to a job's first query, Delta through ``--packages``
   vs the locked jars vs the locked jars with the driver's class archive;
7. ``impact_large_graph.py`` (full mode only): impact/upstream walks on the 1M-column graph;
8. ``cli_start.py``: ``spark-lineage --help`` and a small ``impact`` to its first row, against
   the interpreter's own start.

A Neo4j for 1, 4, 5 and 8 is started with ``scripts/neo4j.sh`` on port 18687 (data in
``.neo4j/bench/data``) and stopped at the end; 6 runs on its own server (port 18688, data in
``.neo4j/impact-bench/data``, 1.5 GB heap and page cache), where the 1M-column graph is generated
by the first full run on a machine (about 10 minutes) and reused afterwards. ``--neo4j-uri``
names a running server to use for all parts instead (password from
``SPARK_LINEAGE_NEO4J_PASSWORD``). ``--quick`` uses tiny sizes and one repetition,
skips the large graph, and exits 0 when every part ran, without judging the figures. The full mode
exits 0 as well when the parts ran; the targets are reported (met / missed), not enforced.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
RESULTS = BENCH / "results"
BENCH_PORT = 18687
PASSWORD = os.environ.get("SPARK_LINEAGE_NEO4J_PASSWORD", "spark-lineage")


def machine() -> dict[str, Any]:
    """nproc, memory, load average, date, versions: what a figure needs to be read."""
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = {line.split(":")[0]: int(line.split()[1]) for line in meminfo[:3]}
    try:
        from importlib.metadata import version

        versions = {p: version(p) for p in ("pyspark", "delta-spark", "neo4j")}
    except Exception:
        versions = {}
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "nproc": os.cpu_count(),
        "cpu": next((line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name")), platform.processor()),
        "mem_total_gib": round(mem.get("MemTotal", 0) / 2**20, 1),
        "mem_available_gib": round(mem.get("MemAvailable", 0) / 2**20, 1),
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


def run_script(args: list[str], env: dict[str, str] | None = None,
               timeout: float = 3600) -> tuple[int, str, float]:
    """Run a benchmark script with this interpreter; (rc, stdout, seconds). stderr is echoed."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
    return proc.returncode, proc.stdout, seconds


def last_json(text: str) -> Any:
    """The last top-level JSON object printed (scripts print a JSON document at the end)."""
    start = text.rfind("\n{")
    start = 0 if start < 0 and text.startswith("{") else start + 1
    return json.loads(text[start:])


def listener(quick: bool) -> dict[str, Any]:
    queries = "20" if quick else "100"
    out: dict[str, Any] = {}
    for mode, flag in (("off", ["--no-agent"]), ("on", [])):
        rc, stdout, seconds = run_script([str(BENCH / "listener_overhead.py"), "--queries",
                                          queries, *flag], timeout=1800)
        out[mode] = {"rc": rc, "seconds": round(seconds, 1)}
        if rc == 0:
            out[mode].update(last_json(stdout))
    return out


LINE = re.compile(r"^(?P<label>.+?)\s+size=\s*(?P<size>\d+) nodes=\s*(?P<nodes>\d+) json objects="
                  r"\s*(?P<objects>\d+)\s+capture=\s*(?P<capture>[\d.]+) ms\s+lineage="
                  r"\s*(?P<lineage>[\d.]+) ms\s+edges=(?P<edges>\d+)")
GROWTH = re.compile(r"^(?P<label>.+?)\s+growth vs json objects: capture ~n\^(?P<kc>[-\d.]+),"
                    r" lineage ~n\^(?P<kl>[-\d.]+) \((?P<verdict>\w+)\)")


def extraction(quick: bool) -> dict[str, Any]:
    rc, stdout, seconds = run_script([str(BENCH / "lineage_extraction.py"),
                                      *(["--quick"] if quick else [])], timeout=1800)
    rows, growth = [], {}
    for line in stdout.splitlines():
        if m := LINE.match(line):
            rows.append({k: (float(v) if k in ("capture", "lineage") else
                             v.strip() if k == "label" else int(v))
                         for k, v in m.groupdict().items()})
        elif m := GROWTH.match(line):
            growth[m["label"].strip()] = {"capture_exponent": float(m["kc"]),
                                          "lineage_exponent": float(m["kl"]),
                                          "verdict": m["verdict"]}
    return {"rc": rc, "seconds": round(seconds, 1), "rows": rows, "growth": growth,
            "ok": rc in (0, 1) and bool(rows)}


def throughput(uri: str, user: str, quick: bool) -> dict[str, Any]:
    sizes = (["--events", "3", "--edges", "100", "--baseline-edges", "100"] if quick else
             ["--events", "20", "--edges", "500", "--baseline-edges", "1000"])
    rc, stdout, seconds = run_script([str(BENCH / "neo4j_write_throughput.py"), "--uri", uri,
                                      "--user", user, *sizes],
                                     env={"SPARK_LINEAGE_NEO4J_PASSWORD": PASSWORD}, timeout=1800)
    out: dict[str, Any] = {"rc": rc, "seconds": round(seconds, 1)}
    for line in stdout.splitlines():
        parts = line.split()
        if line.startswith("batched"):
            out["batched_edges_per_s"] = float(parts[-1])
        elif line.startswith("one statement"):
            out["naive_edges_per_s"] = float(parts[-1])
        elif line.startswith("speed-up"):
            out["speedup"] = float(parts[1].rstrip("x"))
    return out


def visibility(uri: str, user: str, quick: bool) -> dict[str, Any]:
    rc, stdout, seconds = run_script([str(BENCH / "neo4j_visibility.py"), "--uri", uri,
                                      "--user", user, "--queries", "10" if quick else "40",
                                      "--wide", "1" if quick else "5"],
                                     env={"SPARK_LINEAGE_NEO4J_PASSWORD": PASSWORD}, timeout=1800)
    out: dict[str, Any] = {"rc": rc, "seconds": round(seconds, 1)}
    if stdout.strip():
        out.update(last_json(stdout))
    return out


WALK = re.compile(r"^(?P<label>\S.*?)\s+n=\d+\s+p50=\s*(?P<p50>[\d.]+) ms\s+"
                  r"p95=\s*(?P<p95>[\d.]+) ms")


def cli_start(uri: str, user: str, quick: bool) -> dict[str, Any]:
    rc, stdout, seconds = run_script([str(BENCH / "cli_start.py"), "--uri", uri, "--user", user,
                                      "--reps", "3" if quick else "15"],
                                     env={"SPARK_LINEAGE_NEO4J_PASSWORD": PASSWORD}, timeout=1800)
    out: dict[str, Any] = {"rc": rc, "seconds": round(seconds, 1)}
    if rc == 0:
        out.update(last_json(stdout))
    return out


def impact(uri: str, user: str, datasets: int) -> dict[str, Any]:
    base = [str(BENCH / "impact_large_graph.py"), "--uri", uri, "--user", user,
            "--datasets", str(datasets), "--queries", "50"]
    env = {"SPARK_LINEAGE_NEO4J_PASSWORD": PASSWORD}
    rc, stdout, seconds = run_script([*base, "--reuse"], env=env, timeout=7200)
    out: dict[str, Any] = {"rc": rc, "seconds": round(seconds, 1), "datasets": datasets,
                           "output": stdout.strip().splitlines()[-12:]}
    out["walks"] = [m.groupdict() for line in stdout.splitlines() if (m := WALK.match(line))]
    return out


class Neo4j:
    """A bench server (scripts/neo4j.sh on ``port`` with data in ``data``), or a given one."""

    def __init__(self, uri: str | None, port: int = BENCH_PORT, data: str = "bench",
                 memory: dict[str, str] | None = None) -> None:
        self.uri = uri or f"bolt://127.0.0.1:{port}"
        self.owned = uri is None
        self.port = port
        self.data = REPO / ".neo4j" / data / "data"
        self.memory = memory or {}

    def start(self) -> None:
        if self.owned:
            subprocess.run([str(REPO / "scripts" / "neo4j.sh"), "start", "--port",
                            str(self.port), "--data", str(self.data), "--no-config"],
                           check=True, cwd=REPO,
                           env={**os.environ, "NEO4J_PASSWORD": PASSWORD, **self.memory},
                           stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.owned:
            subprocess.run([str(REPO / "scripts" / "neo4j.sh"), "stop", "--data",
                            str(self.data)], check=False, cwd=REPO, stdout=subprocess.DEVNULL)


#: The 1M-column graph lives in its own server and data folder, generated by the first full run
#: on a machine (~10 minutes) and reused by every later one.
IMPACT_PORT = 18688
IMPACT_MEMORY = {"NEO4J_HEAP": "1500m", "NEO4J_PAGE_CACHE": "1500m"}


def fmt(stat: dict[str, Any] | None, unit: str = "") -> str:
    if not stat:
        return "-"
    return f"{stat['median']}{unit} ({stat['min']}-{stat['max']})"


TARGETS = {
    "overhead": "driver CPU (JVM + Python) within 1% of the baseline and at most the OpenLineage"
                " agent's, within the 95% interval; added driver CPU <= 20 ms per event;"
                " Python memory added <= 50 MiB",
    "listener": "listener thread < 1 ms per query at p50",
    "extraction": "capture + lineage < 20 ms at p50 for ordinary queries, linear in plan size",
    "visibility": "lineage visible in Neo4j within 2 s at p95 after a query ends; a 2,000-column"
                  " event within 1 s",
    "throughput": ">= 10x the naive write throughput",
    "job_start": "start to first query lower than with --packages (Ivy at every start)",
    "cli_start": "spark-lineage --help <= 0.3 s; a small impact's first row <= 0.5 s (median)",
}


def markdown(result: dict[str, Any]) -> str:
    """The results as markdown tables (results/latest.md and the console)."""
    m = result["machine"]
    lines = [
        f"# Benchmark results ({'quick' if result['quick'] else 'full'} run)", "",
        f"- date (UTC): {m['date_utc']} (finished {result['finished_utc']}),"
        f" suite time {result['suite_seconds']:.0f} s",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['mem_total_gib']} GiB RAM;"
        f" load average at start {m['load_average'][0]:.2f} / {m['load_average'][1]:.2f} /"
        f" {m['load_average'][2]:.2f}, at end {' / '.join(f'{x:.2f}' for x in result['load_end'])}"
        " (shared machine: other work runs alongside)",
        f"- pyspark {m.get('pyspark')}, delta-spark {m.get('delta-spark')}, python {m['python']}",
        f"- command: `{result['command']}`", "",
    ]
    job = result.get("job_overhead") or {}
    if job.get("summary"):
        lines += job_overhead_tables(job)
        if job.get("openlineage_error"):
            lines += ["", f"OpenLineage agent: {job['openlineage_error']}"]
    coverage = job.get("coverage")
    if coverage:
        lines += ["", "## Lineage coverage: our agent vs the OpenLineage Spark agent"
                  f" {job.get('openlineage_version')}", "",
                  f"events: ours {coverage['events']['ours']}, OpenLineage agent"
                  f" {coverage['events']['theirs']}", ""]
        lines.append("| output | columns with lineage (ours / OL) | DIRECT edges (ours / OL) |"
                     " INDIRECT edges (ours / OL) |")
        lines.append("|---|---|---|---|")
        for row in coverage["outputs"]:
            lines.append(f"| {row['output']} | {row['ours_columns']} / {row['theirs_columns']} |"
                         f" {row['ours_direct']} / {row['theirs_direct']} |"
                         f" {row['ours_indirect']} / {row['theirs_indirect']} |")
        lines += ["", f"{len(coverage['disagreements'])} disagreement(s):", "",
                  "| output | column | only ours | only OpenLineage agent |", "|---|---|---|---|"]
        for d in coverage["disagreements"]:
            lines.append(f"| {d['output']} | {d['column']} | {', '.join(d['only_ours']) or '-'}"
                         f" | {', '.join(d['only_theirs']) or '-'} |")
    lst = result.get("listener") or {}
    if lst:
        lines += ["", "## Listener thread (Spark's ExecutionListenerBus timer, py4j included)", "",
                  "| agent | workload | queries | bus p50 ms | bus p95 ms | Python callback p50 /"
                  " p95 ms | wall s |", "|---|---|---|---|---|---|---|"]
        for mode, data in lst.items():
            for workload in ("small", "wide"):
                w = data.get(workload)
                if not w:
                    continue
                py = w.get("python") or {}
                lines.append(
                    f"| {mode} | {workload} | {w['queries']} | {w['jvm'].get('p50_ms', '-')} |"
                    f" {w['jvm'].get('p95_ms', '-')} |"
                    f" {py.get('p50_ms', '-')} / {py.get('p95_ms', '-')} | {w['wall_s']} |")
    ext = result.get("extraction") or {}
    if ext.get("rows"):
        lines += ["", "## Extraction (capture = py4j + toJSON; lineage = pure Python), median ms",
                  "", "| shape | size | plan nodes | capture ms | lineage ms | edges |",
                  "|---|---|---|---|---|---|"]
        for row in ext["rows"]:
            lines.append(f"| {row['label']} | {row['size']} | {row['nodes']} | {row['capture']}"
                         f" | {row['lineage']} | {row['edges']} |")
        lines += ["", "| shape | capture growth n^k | lineage growth n^k | verdict |",
                  "|---|---|---|---|"]
        for label, g in ext["growth"].items():
            lines.append(f"| {label} | {g['capture_exponent']} | {g['lineage_exponent']} |"
                         f" {g['verdict']} |")
    vis = result.get("visibility") or {}
    if vis.get("p50_ms") is not None:
        lines += ["", "## End-to-end: query end to lineage visible in Neo4j", "",
                  f"{vis['visible']} of {vis['queries']} writes (parquet and Delta, back to back):"
                  f" p50 **{vis['p50_ms']} ms**, p95 **{vis['p95_ms']} ms**, max {vis['max_ms']} ms"
                  f" (p50 by kind: {vis.get('by_kind_p50_ms')})"]
        wide = vis.get("wide") or {}
        if wide.get("p50_ms") is not None:
            lines += ["", f"{wide['writes'] - wide['missing']} of {wide['writes']} writes of"
                      f" {wide['columns']} columns, one at a time, until every column is in Neo4j"
                      f" with its lineage: p50 **{wide['p50_ms']} ms**, max {wide['max_ms']} ms"]
    thr = result.get("throughput") or {}
    if thr.get("speedup"):
        lines += ["", "## Neo4j write throughput", "",
                  f"batched {thr['batched_edges_per_s']:.0f} edges/s vs one statement per edge"
                  f" {thr['naive_edges_per_s']:.0f} edges/s: **{thr['speedup']}x**"]
    start = result.get("job_start") or {}
    if start.get("variants"):
        lines += ["", "## Job start: spark-submit to the end of the first query", "",
                  "| variant | seconds | median ratio to packages |", "|---|---|---|"]
        for name, v in start["variants"].items():
            lines.append(f"| {name} | {fmt(v['seconds'])} | {v.get('ratio_to_packages', '-')} |")
    cli = result.get("cli_start") or {}
    if cli.get("variants"):
        lines += ["", f"## CLI start-up ({cli['reps']} interleaved repetitions)", "",
                  "| command | wall median s | p95 s | above the interpreter s | CPU median s |"
                  " goal |", "|---|---|---|---|---|---|"]
        for name, v in cli["variants"].items():
            goal = (f"<= {v['goal_s']} s: {'met' if v['met'] else 'missed'}" if "goal_s" in v
                    else "interpreter floor")
            lines.append(f"| {name} | {v['wall_s']['median']} | {v['wall_s']['p95']} |"
                         f" {v['above_floor_s']} | {v['cpu_s']['median']} | {goal} |")
    imp = result.get("impact") or {}
    if imp:
        lines += ["", f"## Impact on the large graph ({imp.get('datasets')} datasets)", "",
                  "```", *imp.get("output", []), "```"]
    lines += ["", "## Parts", "", "| part | rc | seconds |", "|---|---|---|"]
    for part, status in result["parts"].items():
        lines.append(f"| {part} | {status['rc']} | {status['seconds']} |")
    return "\n".join(lines) + "\n"


def interval(figure: dict[str, Any] | None) -> str:
    """A bootstrap interval as ``median [low, high]``; ``-`` when absent."""
    if not figure:
        return "-"
    return f"{figure['median']:.3f} [{figure['low']:.3f}, {figure['high']:.3f}]"


def job_overhead_tables(job: dict[str, Any]) -> list[str]:
    """The job-overhead figures: ratios with intervals, memory, our health and stage costs."""
    lines = [
        "## Job overhead (benchmark pipeline, separate spark-submit runs, interleaved)", "",
        f"{job.get('reps')} repetition(s), scale {job.get('scale')}. CPU: user + system seconds"
        " of the driver's process tree (JVM + Python). Ratios and added figures: median over the"
        " repetitions of the within-repetition comparison with `off`, [95 % bootstrap interval].",
        "",
        "| variant | CPU s | CPU ratio | wall s | wall ratio | added CPU ms/query |"
        " added CPU ms/event | Python RSS MiB | added MiB | JVM peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in job["summary"].items():
        if not s.get("ok"):
            lines.append(f"| {name} | failed: {str(s.get('error', ''))[:200]} |"
                         " | | | | | | | |")
            continue
        lines.append(
            f"| {name} | {fmt(s.get('cpu_s', {}))} | {interval(s.get('cpu_ratio'))} |"
            f" {fmt(s['wall_s'])} | {interval(s.get('wall_ratio'))} |"
            f" {interval(s.get('added_cpu_ms_per_query'))} |"
            f" {interval(s.get('added_cpu_ms_per_event'))} |"
            f" {fmt(s['python_rss_mib'])} | {interval(s.get('python_rss_added_mib'))} |"
            f" {fmt(s['jvm_peak_rss_mib'])} |")
    ours = [(n, s) for n, s in job["summary"].items() if "listener_p50_ms" in s]
    if ours:
        lines += ["", "| our agent | queries seen / events | listener p50 ms | listener p95 ms"
                  " | listener max ms | worker ms/event (mean) | worker CPU ms total |"
                  " flush at end s | errors |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, s in ours:
            lines.append(
                f"| {name} | {s['queries_seen']} / {s['events']} | {fmt(s['listener_p50_ms'])}"
                f" | {fmt(s['listener_p95_ms'])} | {fmt(s['listener_max_ms'])} |"
                f" {fmt(s['worker_ms_mean'])} | {fmt(s.get('worker_cpu_ms_total', {}))} |"
                f" {fmt(s['flush_s'])} | {s['agent_errors']} |")
        lines += ["", "The worker's cost per stage (median over the runs, ms per event; CPU is"
                  " the worker thread's Python CPU, wall minus CPU is mostly waiting for the"
                  " JVM, whose own CPU a profiled run measures):", "",
                  "| our agent | stage | calls | wall ms/event | Python CPU ms/event |"
                  " JVM CPU ms/event |", "|---|---|---|---|---|---|"]
        for name, s in ours:
            for phase, cost in s.get("phases", {}).items():
                lines.append(f"| {name} | {phase} | {cost['calls']:g} |"
                             f" {cost['wall_ms_per_event']} | {cost['cpu_ms_per_event']} |"
                             f" {cost.get('jvm_cpu_ms_per_event', '-')} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, 1 rep")
    parser.add_argument("--neo4j-uri", help="reuse a running Neo4j instead of starting one")
    parser.add_argument("--neo4j-user", default="neo4j")
    parser.add_argument("--reps", type=int, help="job overhead repetitions at least (default 5,"
                        " more while the intervals are wide, within the budget; quick 1)")
    parser.add_argument("--scale", type=int, help="pipeline customers (default 100; quick 20)")
    parser.add_argument("--variants", help="job overhead variants, in order (default: off,"
                        "ours-file,ours-neo4j,openlineage; a name may repeat)")
    parser.add_argument("--impact-datasets", type=int, default=20_000,
                        help="large-graph size (x50 columns); 0 skips it")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: job,"
                        "listener,extraction,visibility,throughput,cli,start,impact")
    parser.add_argument("--out", type=Path, help="results JSON (default results/latest.json;"
                        " quick: results/quick.json)")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    if args.quick:
        skip.add("impact")
    if not args.impact_datasets:
        skip.add("impact")
    out = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    started = time.perf_counter()
    result: dict[str, Any] = {
        "quick": args.quick, "machine": machine(),
        "command": " ".join([".venv/bin/python", "benchmarks/run.py",
                             *(argv if argv is not None else sys.argv[1:])]),
        "parts": {},
    }
    server = Neo4j(args.neo4j_uri)
    needs_neo4j = bool({"job", "visibility", "throughput", "cli"} - skip)
    try:
        if needs_neo4j:
            server.start()
        if "job" not in skip:
            print("job overhead ...", file=sys.stderr, flush=True)
            with tempfile.TemporaryDirectory(prefix="bench-job-") as tmp:
                job_out = Path(tmp) / "job.json"
                cmd = [str(BENCH / "job_overhead.py"), "--neo4j-uri", server.uri,
                       "--reps", str(args.reps or (1 if args.quick else 5)),
                       "--scale", str(args.scale or (20 if args.quick else 100)),
                       "--out", str(job_out)]
                cmd += ["--small", "--max-reps", "1"] if args.quick else []
                if args.variants:
                    cmd += ["--variants", args.variants]
                rc, _, seconds = run_script(cmd, env={"SPARK_LINEAGE_NEO4J_PASSWORD": PASSWORD},
                                            timeout=7200)
                result["parts"]["job_overhead"] = {"rc": rc, "seconds": round(seconds, 1)}
                if job_out.exists():
                    result["job_overhead"] = json.loads(job_out.read_text())
        if "listener" not in skip:
            print("listener overhead ...", file=sys.stderr, flush=True)
            result["listener"] = listener(args.quick)
            result["parts"]["listener_overhead"] = {
                "rc": max(v["rc"] for v in result["listener"].values()),
                "seconds": round(sum(v["seconds"] for v in result["listener"].values()), 1)}
        if "extraction" not in skip:
            print("lineage extraction ...", file=sys.stderr, flush=True)
            result["extraction"] = extraction(args.quick)
            result["parts"]["lineage_extraction"] = {
                "rc": 0 if result["extraction"]["ok"] else result["extraction"]["rc"] or 1,
                "seconds": result["extraction"]["seconds"]}
        if "visibility" not in skip:
            print("query end to visible in neo4j ...", file=sys.stderr, flush=True)
            result["visibility"] = visibility(server.uri, args.neo4j_user, args.quick)
            result["parts"]["neo4j_visibility"] = {
                "rc": result["visibility"]["rc"], "seconds": result["visibility"]["seconds"]}
        if "throughput" not in skip:
            print("neo4j write throughput ...", file=sys.stderr, flush=True)
            result["throughput"] = throughput(server.uri, args.neo4j_user, args.quick)
            result["parts"]["neo4j_write_throughput"] = {
                "rc": result["throughput"]["rc"], "seconds": result["throughput"]["seconds"]}
        if "cli" not in skip:
            print("cli start-up ...", file=sys.stderr, flush=True)
            result["cli_start"] = cli_start(server.uri, args.neo4j_user, args.quick)
            result["parts"]["cli_start"] = {
                "rc": result["cli_start"]["rc"], "seconds": result["cli_start"]["seconds"]}
    finally:
        if needs_neo4j:
            server.stop()
    if "start" not in skip:
        print("job start ...", file=sys.stderr, flush=True)
        rc, stdout, seconds = run_script([str(BENCH / "job_start.py"),
                                          "--reps", "1" if args.quick else "5"], timeout=1800)
        result["parts"]["job_start"] = {"rc": rc, "seconds": round(seconds, 1)}
        if rc == 0:
            result["job_start"] = last_json(stdout)
    if "impact" not in skip:
        print("impact on the large graph ...", file=sys.stderr, flush=True)
        graph_server = Neo4j(args.neo4j_uri, IMPACT_PORT, "impact-bench", IMPACT_MEMORY)
        try:
            graph_server.start()
            result["impact"] = impact(graph_server.uri, args.neo4j_user, args.impact_datasets)
            result["parts"]["impact_large_graph"] = {
                "rc": result["impact"]["rc"], "seconds": result["impact"]["seconds"]}
        finally:
            graph_server.stop()
    result["suite_seconds"] = round(time.perf_counter() - started, 1)
    result["finished_utc"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    result["load_end"] = list(os.getloadavg())
    result["targets"] = TARGETS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    table = markdown(result)
    out.with_suffix(".md").write_text(table)
    print(table)
    print(f"written: {out} and {out.with_suffix('.md')}", file=sys.stderr)
    return 0 if all(p["rc"] == 0 for p in result["parts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
