"""Session settings shared by every Spark session the project starts (tests, demo, benchmarks).

Delta Lake comes from the locked, verified local jar set of the installed Spark line
(:mod:`spark_lineage.tools.jarset`) through ``spark.jars``: nothing is resolved when a session
starts. A user's own cluster brings Delta its own way (``--packages``, its platform's Delta,
``spark.jars``); the agent does not care which.
"""

from __future__ import annotations

from spark_lineage.tools.jarset import delta_available, ivy_home, locked_jar_paths


def delta_spark_conf() -> dict[str, str]:
    """The ``spark.*`` settings that turn on Delta Lake from the locked local jars; on a line no
    Delta release supports (:func:`~spark_lineage.tools.jarset.delta_available`), only the Ivy
    home: the session runs without Delta.

    Raises :class:`~spark_lineage.tools.jarset.JarSetError` (one line that names the jar and the
    fix) when a locked jar is missing or damaged, before any JVM starts.
    """
    if not delta_available():
        return {"spark.jars.ivy": str(ivy_home())}
    return {
        "spark.jars": ",".join(str(path) for path in locked_jar_paths()),
        # Never used by these sessions (no packages); set so that nothing falls back to ~/.ivy2.
        "spark.jars.ivy": str(ivy_home()),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    }


#: Settings for small tables on a machine with a few cores (the demo, the benchmarks, the tests):
#: Delta rebuilds a table's snapshot state with 50 tasks by default and Spark lists partitions
#: and shuffles with up to 200; on two cores those tiny tasks cost more than the data. Not needed
#: on a real cluster; applied alike to every variant the benchmarks compare.
SMALL_DATA_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
}
