"""Run a test job as its own ``spark-submit`` application, lineage on by ``--conf`` only.

This is how users run pipelines: a separate JVM per application, the agent turned on by the
``spark.lineage.*`` lines of the command, the Neo4j credentials in the environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from spark_lineage.tools.spark_conf import SMALL_DATA_CONF

#: The venv's ``spark-submit`` and ``spark-lineage`` (the same environment as this test run).
BIN = Path(sys.executable).parent


def metastore_conf(root: Path) -> dict[str, str]:
    """A persistent Hive metastore (Derby) and warehouse under ``root``, shared by every
    application given the same ``root``, as on a real platform."""
    return {
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={root / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root / 'derby'}",
    }


def lineage_env(auth: tuple[str, str], spool: Path) -> dict[str, str]:
    """This process's environment plus the Neo4j credentials and a spool of the test's own."""
    return {
        **os.environ,
        "SPARK_LINEAGE_NEO4J_USER": auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": auth[1],
        "SPARK_LINEAGE_SPOOL_DIR": str(spool),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }


def spark_submit(
    job: Path,
    args: Sequence[str],
    conf: Mapping[str, str],
    env: Mapping[str, str],
    *,
    master: str = "local[1]",
    timeout: float = 600,
    done_line: str,
) -> subprocess.CompletedProcess[str]:
    """``spark-submit --master MASTER --conf k=v … JOB ARGS``; the job must print ``done_line``."""
    command = [str(BIN / "spark-submit"), "--master", master]
    for key, value in {**SMALL_DATA_CONF, "spark.ui.enabled": "false", **conf}.items():
        command += ["--conf", f"{key}={value}"]
    command += [str(job), *args]
    done = subprocess.run(
        command, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0 and done_line in done.stdout, done.stderr[-3000:]
    return done
