"""An ordinary PySpark job on Delta Lake with no lineage code: writes two versions, reads one.

Usage: delta_job.py <work dir>. Writes <work dir>/events (Delta, versions 0 and 1), reads version 0
back with time travel into <work dir>/first (Delta) and prints ``DONE <rows>``.
"""

import sys

from pyspark.sql import SparkSession


def write_and_time_travel(spark: SparkSession, work_dir: str) -> None:
    events = f"{work_dir}/events"
    spark.range(3).selectExpr("id", "id * 10 AS amount").write.format("delta").save(events)
    spark.range(3, 5).selectExpr("id", "id * 10 AS amount").write.format("delta").mode(
        "append"
    ).save(events)
    first = spark.read.format("delta").option("versionAsOf", 0).load(events)
    first.selectExpr("id", "amount + 1 AS amount").write.format("delta").save(f"{work_dir}/first")
    print("DONE", spark.read.format("delta").load(f"{work_dir}/first").count())


if __name__ == "__main__":
    write_and_time_travel(SparkSession.builder.appName("delta-job").getOrCreate(), sys.argv[1])
