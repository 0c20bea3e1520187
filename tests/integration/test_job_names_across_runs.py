"""Job names of path outputs hold across runs of an application, each its own ``spark-submit``.

Without a lake root, a path output's job is named by the shortest suffix of its path that no other
output of the application has. One process alone cannot know what earlier runs wrote, so before
its first event the agent reads the names the graph already gives the application's jobs. The
export below writes ``a/x/t``, then ``b/x/t``, then both: two outputs, so two jobs, each run a new
Run of the job of its output, never a job shared by two outputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import neo4j
import pytest

from spark_lineage.tools.spark_conf import SMALL_DATA_CONF

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "path_outputs_job.py"
BIN = Path(sys.executable).parent



def _submit(uri: str, auth: tuple[str, str], namespace: str, paths: list[Path]) -> None:
    conf = {
        **SMALL_DATA_CONF,
        "spark.ui.enabled": "false",
        "spark.lineage.enabled": "true",
        "spark.lineage.neo4j.uri": uri,
        "spark.lineage.namespace": namespace,
    }
    command = [str(BIN / "spark-submit"), "--master", "local[1]"]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    command += [str(JOB), *map(str, paths)]
    env = {
        **os.environ,
        "SPARK_LINEAGE_NEO4J_USER": auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": auth[1],
        "SPARK_LINEAGE_SPOOL_DIR": str(paths[0].parents[2] / "spool"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0 and f"DONE {len(paths)}" in done.stdout, done.stderr[-3000:]


def _jobs(driver: neo4j.Driver, namespace: str) -> dict[str, tuple[list[str], int]]:
    """Job name -> (keys of the datasets it writes, number of its runs)."""
    records, _, _ = driver.execute_query(
        """
        MATCH (j:Job {namespace: $namespace})
        RETURN j.name AS job,
               [(j)-[:WRITES]->(d:Dataset) | d.key] AS writes,
               COUNT { (:Run)-[:OF_JOB]->(j) } AS runs
        """,
        namespace=namespace,
    )
    return {r["job"]: (sorted(r["writes"]), r["runs"]) for r in records}


def test_two_outputs_with_the_same_last_segment_stay_two_jobs_across_runs(
    tmp_path: Path, neo4j_uri: str, neo4j_auth: tuple[str, str], driver: neo4j.Driver
) -> None:
    namespace = f"job-names-{uuid.uuid4().hex[:8]}"
    first, second = tmp_path / "a" / "x" / "t", tmp_path / "b" / "x" / "t"

    _submit(neo4j_uri, neo4j_auth, namespace, [first])
    _submit(neo4j_uri, neo4j_auth, namespace, [second])
    _submit(neo4j_uri, neo4j_auth, namespace, [first, second])

    assert _jobs(driver, namespace) == {
        "daily_export.t": ([f"file::{first}"], 2),
        "daily_export.b/x/t": ([f"file::{second}"], 2),
    }
