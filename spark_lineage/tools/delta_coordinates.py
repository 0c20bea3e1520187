"""The Delta Lake jars and session settings matching the installed pyspark/delta-spark.

Used by ``scripts/setup.sh`` to pre-fetch the jars into ``~/.m2``, by the demo jobs' launcher and
by the tests' Spark session, so that all of them agree on which artifact Spark resolves.
"""

from __future__ import annotations

from importlib import metadata


def delta_coordinates() -> list[str]:
    """Maven coordinates of the Delta jar for the installed versions (Spark resolves the rest)."""
    spark_version = metadata.version("pyspark")
    delta_version = metadata.version("delta-spark")
    spark_major_minor = ".".join(spark_version.split(".")[:2])
    return [f"io.delta:delta-spark_{spark_major_minor}_2.13:{delta_version}"]


def delta_spark_conf() -> dict[str, str]:
    """The ``spark.*`` settings that turn on Delta Lake in a session."""
    return {
        "spark.jars.packages": ",".join(delta_coordinates()),
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


def main() -> None:
    print(" ".join(delta_coordinates()))


if __name__ == "__main__":
    main()
