"""Job names of path outputs hold across runs of an application, each its own ``spark-submit``.

Without a lake root, a path output's job is named by the shortest suffix of its path that no other
output of the application has. One process alone cannot know what earlier runs wrote, so before
its first event the agent reads the names the graph already gives the application's jobs. The
export below writes ``a/x/t``, then ``b/x/t``, then both: two outputs, so two jobs, each run a new
Run of the job of its output, never a job shared by two outputs.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import neo4j
import pytest
from spark_submit import lineage_env, spark_submit

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "path_outputs_job.py"



def _submit(uri: str, auth: tuple[str, str], namespace: str, paths: list[Path]) -> None:
    conf = {
        "spark.lineage.enabled": "true",
        "spark.lineage.neo4j.uri": uri,
        "spark.lineage.namespace": namespace,
    }
    env = lineage_env(auth, paths[0].parents[2] / "spool")
    spark_submit(JOB, [str(p) for p in paths], conf, env, done_line=f"DONE {len(paths)}")


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
