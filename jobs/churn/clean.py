"""Churn pipeline, step 2: deduplicate, fill gaps, standardise, and MERGE late updates.

The first run builds the cleaned tables; later runs MERGE the raw customers' late-arriving
updates into ``clean/customers`` (a new Delta version each time) instead of rewriting it.
"""

from __future__ import annotations

import argparse

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F


def standardised_customers(raw: DataFrame) -> DataFrame:
    """One row per customer (the latest ingested), with standard email, phone and country."""
    latest_first = Window.partitionBy("customer_id").orderBy(F.col("ingested_at").desc())
    return (
        raw.withColumn("rn", F.row_number().over(latest_first))
        .where(F.col("rn") == 1)
        .select(
            "customer_id",
            F.initcap(F.trim(F.col("full_name"))).alias("full_name"),
            F.lower(F.trim(F.col("email"))).alias("email"),
            F.regexp_replace(F.col("phone"), r"[^0-9+]", "").alias("phone"),
            F.coalesce(F.col("country"), F.lit("UNKNOWN")).alias("country"),
            "signup_date",
            F.col("ingested_at").alias("updated_at"),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="lake root folder")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("churn-clean").getOrCreate()
    raw, clean = f"{args.root}/raw", f"{args.root}/clean"

    customers = standardised_customers(spark.read.format("delta").load(f"{raw}/customers"))
    target = f"{clean}/customers"
    if DeltaTable.isDeltaTable(spark, target):
        (
            DeltaTable.forPath(spark, target)
            .alias("t")
            .merge(customers.alias("s"), "t.customer_id = s.customer_id")
            .whenMatchedUpdate(
                condition="s.updated_at > t.updated_at",
                set={
                    "email": "s.email",
                    "phone": "s.phone",
                    "country": "s.country",
                    "updated_at": "s.updated_at",
                },
            )
            .whenNotMatchedInsertAll()
            .execute()
        )
    else:
        customers.write.format("delta").save(target)

    subscriptions = (
        spark.read.format("delta")
        .load(f"{raw}/subscriptions")
        .dropDuplicates(["subscription_id"])
        .where(F.col("monthly_fee") > 0)
        .withColumn("is_active", F.col("end_date").isNull().cast("int"))
    )
    subscriptions.write.format("delta").mode("overwrite").save(f"{clean}/subscriptions")
    spark.stop()


if __name__ == "__main__":
    main()
