"""A daily export as a user writes it: the same application, each run writing the paths it is given.

Usage: path_outputs_job.py <path>... Writes a small table (parquet, overwrite) to every path, with
no lineage code, and prints ``DONE <n paths>``.
"""

import sys

from pyspark.sql import SparkSession

if __name__ == "__main__":
    spark = SparkSession.builder.appName("daily-export").getOrCreate()
    rows = spark.createDataFrame([(1, "ada"), (2, "bob")], "id long, name string")
    for path in sys.argv[1:]:
        rows.write.mode("overwrite").parquet(path)
    print("DONE", len(sys.argv) - 1, flush=True)
    spark.stop()
