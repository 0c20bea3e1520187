"""A small CRM pipeline as a user writes it: three applications, catalog tables and path tables.

Usage: catalog_pipeline.py <step> <lake dir>. Each step is its own ``spark-submit`` application
with Hive support (the metastore, warehouse and Derby home come from the submit's settings) and
no lineage code at all:

- ``ingest``: ``<lake>/raw/customers`` (Delta, path) and ``<lake>/raw/events`` (parquet, path);
- ``refine``: ``crm.customers_clean`` (Delta, ``saveAsTable`` overwrite), ``crm.event_counts``
  (parquet, ``saveAsTable`` overwrite) and ``crm.customers_enriched`` (Delta,
  ``CREATE OR REPLACE TABLE ... AS SELECT`` joining the two tables);
- ``report``: ``<lake>/gold/by_country`` (Delta, path, overwrite) from the enriched table.

Prints ``DONE <step>``.
"""

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def ingest(spark: SparkSession, lake: str) -> None:
    customers = spark.createDataFrame(
        [(1, "ada@example.com", "FR"), (2, "bob@example.com", "DE"), (3, "cy@example.com", "FR")],
        "id long, email string, country string",
    )
    customers.write.format("delta").mode("overwrite").save(f"{lake}/raw/customers")
    events = spark.range(12).select(
        (F.col("id") % 3 + 1).alias("customer_id"), (F.col("id") * 7).alias("amount")
    )
    events.write.mode("overwrite").parquet(f"{lake}/raw/events")


def refine(spark: SparkSession, lake: str) -> None:
    spark.sql("CREATE DATABASE IF NOT EXISTS crm")
    clean = spark.read.format("delta").load(f"{lake}/raw/customers").select(
        "id", F.sha2("email", 256).alias("email_hash"), "country"
    )
    clean.write.format("delta").mode("overwrite").saveAsTable("crm.customers_clean")
    counts = (
        spark.read.parquet(f"{lake}/raw/events")
        .groupBy("customer_id")
        .agg(F.count("*").alias("events"), F.sum("amount").alias("spent"))
    )
    counts.write.format("parquet").mode("overwrite").saveAsTable("crm.event_counts")
    spark.sql(
        "CREATE OR REPLACE TABLE crm.customers_enriched USING delta AS "
        "SELECT c.id, c.country, e.events, e.spent FROM crm.customers_clean c "
        "JOIN crm.event_counts e ON c.id = e.customer_id"
    )


def report(spark: SparkSession, lake: str) -> None:
    by_country = (
        spark.table("crm.customers_enriched")
        .groupBy("country")
        .agg(F.sum("spent").alias("revenue"), F.count("id").alias("customers"))
    )
    by_country.write.format("delta").mode("overwrite").save(f"{lake}/gold/by_country")


STEPS = {"ingest": ingest, "refine": refine, "report": report}

if __name__ == "__main__":
    step, lake_dir = sys.argv[1], sys.argv[2]
    session = SparkSession.builder.appName(f"crm-{step}").enableHiveSupport().getOrCreate()
    STEPS[step](session, lake_dir)
    print("DONE", step, flush=True)
    session.stop()
