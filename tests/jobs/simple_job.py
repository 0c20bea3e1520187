"""An ordinary PySpark job with no lineage code in it: the zero-code-change tests run it.

Usage: simple_job.py <work dir>. Writes <work dir>/people (parquet), reads it back, writes an
aggregate to <work dir>/by_city and prints ``DONE <rows>``. It never stops its session: the agent
must deliver at interpreter exit.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def write_and_aggregate(spark: SparkSession, work_dir: str) -> None:
    people = spark.createDataFrame(
        [(1, "ada", "paris"), (2, "bob", "lyon"), (3, "cy", "paris")], ["id", "name", "city"]
    )
    people.write.mode("overwrite").parquet(f"{work_dir}/people")
    by_city = spark.read.parquet(f"{work_dir}/people").groupBy("city").agg(F.count("id").alias("n"))
    by_city.write.mode("overwrite").parquet(f"{work_dir}/by_city")
    print("DONE", by_city.count())


if __name__ == "__main__":
    write_and_aggregate(SparkSession.builder.appName("simple-job").getOrCreate(), sys.argv[1])
