"""Zero code change: one --conf line makes an unmodified job report lineage.

Runs the real ``spark-submit`` (local and local-cluster) and plain ``python`` in subprocesses, with
the package's start-up hook installed by ``pip install -e .``. The jobs in tests/jobs/ contain no
lineage code (the plain-python one only sets the conf on its builder).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOBS = Path(__file__).resolve().parents[1] / "jobs"
SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
SMALL = ["--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=1"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        **env,
    }
    environment.pop("SPARK_LINEAGE_ENABLED", None)
    result = subprocess.run(
        args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=420, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "DONE 2" in result.stdout
    return result


def default_events(cwd: Path) -> list[dict[str, Any]]:
    """Events written by the embedded default sink under ./spark-lineage-events/."""
    files = sorted((cwd / "spark-lineage-events").glob("*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def assert_job_reported(events: list[dict[str, Any]], work: Path, app_name: str) -> None:
    assert events, "no lineage events were written"
    apps = {e["run"]["facets"]["spark_applicationDetails"]["appName"] for e in events}
    assert apps == {app_name}
    outputs = {o["name"] for e in events for o in e["outputs"]}
    assert {str(work / "people"), str(work / "by_city")} <= outputs
    assert all(e["eventType"] == "COMPLETE" for e in events)


def test_spark_submit_local_with_one_conf_line(tmp_path: Path) -> None:
    result = run(
        [
            str(SPARK_SUBMIT),
            "--master",
            "local[1]",
            *SMALL,
            "--conf",
            "spark.lineage.enabled=true",
            str(JOBS / "simple_job.py"),
            str(tmp_path),
        ],
        cwd=tmp_path,
    )

    assert_job_reported(default_events(tmp_path), tmp_path, "simple-job")
    # spark-submit merges the Python driver's stderr into its stdout
    assert "spark-lineage health: queries seen=" in result.stdout + result.stderr


@pytest.mark.cluster
def test_spark_submit_local_cluster_with_one_conf_line(tmp_path: Path) -> None:
    events_file = tmp_path / "lineage.jsonl"
    run(
        [
            str(SPARK_SUBMIT),
            "--master",
            "local-cluster[2,1,1024]",
            *SMALL,
            "--conf",
            "spark.lineage.enabled=true",
            "--conf",
            f"spark.lineage.openlineage.path={events_file}",
            str(JOBS / "simple_job.py"),
            str(tmp_path),
        ],
        cwd=tmp_path,
    )

    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    assert_job_reported(events, tmp_path, "simple-job")
    masters = {e["run"]["facets"]["spark_applicationDetails"]["master"] for e in events}
    assert masters == {"local-cluster[2,1,1024]"}


def test_plain_python_job_that_sets_the_conf_itself(tmp_path: Path) -> None:
    result = run(
        [sys.executable, str(JOBS / "self_configured_job.py"), str(tmp_path)], cwd=tmp_path
    )

    assert_job_reported(default_events(tmp_path), tmp_path, "self-configured-job")
    # delivered when the job called spark.stop(), not later at interpreter exit
    health_at = result.stderr.index("spark-lineage health:")
    assert health_at < result.stderr.index("STOPPED")


def test_without_the_conf_line_nothing_is_attached(tmp_path: Path) -> None:
    result = run(
        [
            str(SPARK_SUBMIT),
            "--master",
            "local[1]",
            *SMALL,
            str(JOBS / "simple_job.py"),
            str(tmp_path),
        ],
        cwd=tmp_path,
    )

    assert not (tmp_path / "spark-lineage-events").exists()
    assert "spark-lineage" not in result.stdout + result.stderr
