"""The agent does not care how Delta arrives: here through ``spark.jars.packages``, as on a
user's cluster that runs ``spark-submit --packages io.delta:...``.

The packages are resolved by Spark's own Ivy, offline, from the project-local Maven-layout
repository that set-up fills (``.cache/m2``: the locked jars with their real poms), through an
Ivy settings file that names no other repository. The dependencies that pyspark already ships are
excluded with ``spark.jars.excludes``, as the lock records them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.tools import jarset

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "delta_job.py"
SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"


def offline_ivy_settings(path: Path, maven_repo: Path) -> Path:
    """Ivy settings whose only resolver is a local Maven-layout folder: no network, no ~/.m2."""
    path.write_text(
        '<ivysettings><settings defaultResolver="project-local"/><resolvers>'
        f'<ibiblio name="project-local" m2compatible="true" root="{maven_repo.as_uri()}"/>'
        "</resolvers></ivysettings>\n",
        encoding="utf-8",
    )
    return path


def versions_by_output(events: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for event in events:
        for output in event["outputs"]:
            version = output.get("facets", {}).get("version", {}).get("datasetVersion")
            found.setdefault(output["name"], set()).add(version)
    return found


def test_delta_through_packages_resolved_offline_gets_exact_versions(tmp_path: Path) -> None:
    lock = jarset.read_lock()
    settings = offline_ivy_settings(tmp_path / "ivysettings.xml", jarset.maven_repo())
    ivy_home = tmp_path / "ivy"
    events_file = tmp_path / "lineage.jsonl"
    conf = {
        "spark.jars.ivySettings": str(settings),
        "spark.jars.ivy": str(ivy_home),
        "spark.jars.excludes": ",".join(lock.provided_by_spark),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "1",
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.lineage.enabled": "true",
        "spark.lineage.sinks": "openlineage",
        "spark.lineage.openlineage.path": str(events_file),
    }
    command = [str(SPARK_SUBMIT), "--master", "local[1]", "--packages", lock.root]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    env.pop("SPARK_LINEAGE_ENABLED", None)

    result = subprocess.run([*command, str(JOB), str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=420, check=False)

    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "DONE 3" in result.stdout
    resolved = {p.name for p in (ivy_home / "jars").glob("*.jar")}
    assert f"{lock.root.split(':')[0]}_{lock.jars[0].file_name}" in resolved  # Ivy's file name
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    versions = versions_by_output(events)
    assert versions[str(tmp_path / "events")] == {"0", "1"}
    assert versions[str(tmp_path / "first")] == {"0"}
    read_versions = {
        i.get("facets", {}).get("version", {}).get("datasetVersion")
        for e in events for i in e["inputs"] if i["name"] == str(tmp_path / "events")
    }
    assert read_versions == {"0"}  # the time-travel read, not the latest version
