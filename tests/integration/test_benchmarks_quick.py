"""The benchmark suite's smoke run: `benchmarks/run.py --quick` works end to end.

It runs every part (job overhead with agent off / our agent with file and Neo4j sinks / the
OpenLineage agent, listener overhead, extraction, query end to visible in Neo4j, Neo4j write
throughput, CLI start-up) at tiny sizes against the test Neo4j, and checks that each part ran
and reported figures, without judging the figures. It is part of the default run (and so of CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Alone: make test ARGS="-m benchmark tests/integration/test_benchmarks_quick.py"
pytestmark = [pytest.mark.integration, pytest.mark.neo4j, pytest.mark.slow, pytest.mark.benchmark]


@pytest.mark.timeout(1800)
def test_quick_benchmark_run_completes_and_reports_every_part(
    tmp_path: Path, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> None:
    out = tmp_path / "quick.json"
    user, password = neo4j_auth
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--neo4j-uri", neo4j_uri,
         "--neo4j-user", user, "--out", str(out)],
        capture_output=True, text=True, cwd=REPO, timeout=1700, check=False,
        env={**os.environ, "SPARK_LINEAGE_NEO4J_PASSWORD": password},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    assert set(result["parts"]) == {"job_overhead", "listener_overhead", "lineage_extraction",
                                    "neo4j_visibility", "neo4j_write_throughput", "cli_start",
                                    "job_start"}
    assert all(part["rc"] == 0 for part in result["parts"].values()), result["parts"]
    start = result["job_start"]["variants"]
    assert {name: v["seconds"]["n"] for name, v in start.items()} == {
        "packages": 1, "locked": 1, "locked-cds": 1}
    summary = result["job_overhead"]["summary"]
    for variant in ("off", "ours-file", "ours-neo4j"):
        assert summary[variant]["ok"] == 1, summary[variant]
    assert summary["ours-file"]["events"] > 0
    assert summary["ours-neo4j"]["agent_errors"] == 0
    # the CPU of the driver's processes, as a ratio to "off" with its interval, and the worker's
    # cost per stage
    for variant in ("ours-file", "ours-neo4j", "openlineage"):
        ratio = summary[variant]["cpu_ratio"]
        assert ratio["low"] <= ratio["median"] <= ratio["high"] and ratio["n"] == 1
        assert summary[variant]["added_cpu_ms_per_query"]["n"] == 1
    assert summary["off"]["cpu_s"]["median"] > 0
    assert {"capture.plan", "lineage", "sink"} <= set(summary["ours-file"]["phases"])
    assert result["job_overhead"]["coverage"]["outputs"], "coverage compares no output"
    assert result["throughput"]["speedup"] > 0
    visibility = result["visibility"]
    assert visibility["queries"] > 0 and visibility["missing"] == 0, visibility
    cli = result["cli_start"]["variants"]
    assert {name: v["wall_s"]["n"] for name, v in cli.items()} == {
        "python": 3, "help": 3, "impact": 3}
    assert result["machine"]["nproc"] == os.cpu_count()
    table = out.with_suffix(".md").read_text()
    assert "| variant | CPU s | CPU ratio |" in table
    assert "| ours-file | capture.plan |" in table
