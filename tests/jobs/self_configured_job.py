"""A job started with plain ``python``: it builds its own session and turns lineage on in it.

Usage: self_configured_job.py <work dir>. Same work as simple_job.py; the only lineage-related
line is the ``spark.lineage.enabled`` conf on the builder. It stops its session and then prints
``STOPPED`` to stderr, so a test can tell that the agent delivered before the context stopped.
"""

import sys

from pyspark.sql import SparkSession
from simple_job import write_and_aggregate


def main(work_dir: str) -> None:
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("self-configured-job")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.lineage.enabled", "true")
        .getOrCreate()
    )
    write_and_aggregate(spark, work_dir)
    spark.stop()
    print("STOPPED", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
