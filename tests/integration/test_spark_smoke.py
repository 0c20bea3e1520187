"""The foundation works: Spark with Delta Lake from the locked jars, and a multi-executor cluster.

The first test of every run (``smoke`` marker, ordered first by tests/conftest.py): when the locked
jar set is broken, the run says so at once instead of failing a thousand tests one by one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.tools import jarset

pytestmark = pytest.mark.integration


@pytest.mark.smoke
def test_delta_is_loaded_from_the_locked_local_jars_and_nothing_is_resolved(spark: Any) -> None:
    conf = spark.sparkContext.getConf()
    lock = jarset.read_lock()
    locked = {str(jarset.jar_dir(lock.spark_line) / jar.file_name) for jar in lock.jars}
    jvm = spark.sparkContext._jvm
    delta_class = jvm.java.lang.Class.forName(
        "io.delta.tables.DeltaTable", True, jvm.Thread.currentThread().getContextClassLoader()
    )
    loaded_from = Path(str(delta_class.getProtectionDomain().getCodeSource().getLocation()
                           .toURI().getPath()))

    assert set(conf.get("spark.jars").split(",")) == locked
    assert conf.get("spark.jars.packages", "") == ""  # no Ivy resolution at start
    assert str(loaded_from) in locked  # Delta's classes come from the locked file
    assert not jarset.problems(lock, jarset.jar_dir(lock.spark_line))  # and its sha256 matches
    assert spark.range(3).selectExpr("sum(id) AS total").collect()[0].total == 3


@pytest.mark.smoke
def test_delta_table_is_written_and_time_travelled(spark: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "numbers")
    spark.range(5).write.format("delta").save(path)
    spark.range(5, 8).write.format("delta").mode("append").save(path)

    latest = spark.read.format("delta").load(path)
    first = spark.read.format("delta").option("versionAsOf", 0).load(path)
    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "operation")

    assert sorted(r.id for r in latest.collect()) == list(range(8))
    assert sorted(r.id for r in first.collect()) == list(range(5))
    assert sorted((r.version, r.operation) for r in history.collect()) == [
        (0, "WRITE"),
        (1, "WRITE"),
    ]


CLUSTER_JOB = textwrap.dedent(
    """
    import os
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("cluster-smoke").getOrCreate()
    sc = spark.sparkContext

    def executor_jvm_pid(_):
        # Python worker -> pyspark daemon -> executor JVM: the JVM is the daemon's parent.
        with open(f"/proc/{os.getppid()}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])

    jvm_pids = sc.parallelize(range(16), 8).map(executor_jvm_pid).distinct().collect()
    executors = sc._jsc.sc().getExecutorMemoryStatus().size() - 1  # minus the driver
    driver_jvm = int(sc._jvm.ProcessHandle.current().pid())
    others = [p for p in jvm_pids if p != driver_jvm]
    in_driver = len(jvm_pids) - len(others)
    print(f"RESULT executors={executors} executor_jvms={len(others)} in_driver={in_driver}")
    spark.stop()
    """
)


@pytest.mark.cluster
@pytest.mark.slow
def test_local_cluster_runs_tasks_on_separate_executor_jvms(tmp_path: Path) -> None:
    job = tmp_path / "cluster_job.py"
    job.write_text(CLUSTER_JOB)
    spark_submit = Path(sys.executable).parent / "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}

    result = subprocess.run(
        [
            str(spark_submit),
            "--master",
            "local-cluster[2,1,1024]",
            "--conf",
            "spark.ui.enabled=false",
            str(job),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("RESULT"))
    fields = dict(part.split("=") for part in line.split()[1:])
    assert fields["executors"] == "2"
    assert fields["executor_jvms"] == "2"  # tasks ran in two JVMs...
    assert fields["in_driver"] == "0"  # ...and none of them in the driver
