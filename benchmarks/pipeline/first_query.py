"""The start of a demo-like job: build the session, run one Delta write, report when it is done.

Usage: first_query.py <work dir>. Prints ``FIRST_QUERY_DONE`` as soon as the first query (a small
Delta write, as the demo's ingest job starts with) has finished, then stops the session.
"""

import sys

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("first-query").getOrCreate()
spark.range(10).selectExpr("id", "id * 2 AS amount").write.format("delta").save(
    f"{sys.argv[1]}/first"
)
print("FIRST_QUERY_DONE", flush=True)
spark.stop()
