"""Churn pipeline, step 1: ingest raw customers, subscriptions and usage into Delta tables.

The data is generated deterministically from ``--seed`` and ``--batch`` so that every run of the
demo produces the same tables. Batch 1 creates the raw tables; batch 2 appends new customers,
late-arriving updates to existing ones and a new month of usage, which creates new Delta versions.

Nothing in this job knows about lineage: it is turned on by ``--conf spark.lineage.enabled=true``.
"""

from __future__ import annotations

import argparse

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

COUNTRIES = ["FR", "DE", "GB", "US", "ES", "IT", "NL", "SE"]
PLANS = [("basic", 9.99), ("standard", 19.99), ("premium", 39.99)]


def pick(options: list[str], seed_col: str) -> F.Column:
    """A deterministic choice among ``options`` driven by a hash of ``seed_col``."""
    index = F.pmod(F.hash(F.col(seed_col)), F.lit(len(options)))
    return F.element_at(F.array(*[F.lit(o) for o in options]), (index + 1).cast("int"))


def customers(spark: SparkSession, first_id: int, count: int, seed: int) -> DataFrame:
    ids = spark.range(first_id, first_id + count).withColumnRenamed("id", "customer_id")
    h = F.abs(F.hash(F.col("customer_id"), F.lit(seed)))
    return ids.select(
        "customer_id",
        F.concat(F.lit("Customer "), F.col("customer_id")).alias("full_name"),
        # Some emails arrive with upper case and spaces: the clean step standardises them.
        F.when(h % 7 == 0, F.concat(F.lit(" User"), F.col("customer_id"), F.lit("@Example.COM ")))
        .otherwise(F.concat(F.lit("user"), F.col("customer_id"), F.lit("@example.com")))
        .alias("email"),
        F.format_string(
            "+33 6 %02d %02d %02d %02d",
            h % 100,
            F.floor(h / 100) % 100,
            F.floor(h / 10_000) % 100,
            F.floor(h / 1_000_000) % 100,
        ).alias("phone"),
        F.when(h % 11 == 0, F.lit(None).cast("string")).otherwise(pick(COUNTRIES, "customer_id"))
        .alias("country"),
        F.date_sub(F.lit("2026-10-31").cast("date"), (h % 1500).cast("int")).alias("signup_date"),
        F.current_timestamp().alias("ingested_at"),
    )


def subscriptions(customers_df: DataFrame, seed: int) -> DataFrame:
    h = F.abs(F.hash(F.col("customer_id"), F.lit(seed + 1)))
    plan_names = [p for p, _ in PLANS]
    fee = F.when(F.col("plan") == "basic", 9.99).when(F.col("plan") == "standard", 19.99)
    return (
        customers_df.select("customer_id", "signup_date")
        .withColumn("plan", pick(plan_names, "customer_id"))
        .select(
            (F.col("customer_id") * 10).alias("subscription_id"),
            "customer_id",
            "plan",
            fee.otherwise(39.99).alias("monthly_fee"),
            F.col("signup_date").alias("start_date"),
            F.when(h % 5 == 0, F.date_add(F.col("signup_date"), (h % 400).cast("int")))
            .alias("end_date"),
        )
    )


def usage(spark: SparkSession, first_id: int, count: int, month: str, seed: int) -> DataFrame:
    days = spark.range(0, 6).withColumnRenamed("id", "week")
    ids = spark.range(first_id, first_id + count).withColumnRenamed("id", "customer_id")
    h = F.abs(F.hash(F.col("customer_id"), F.col("week"), F.lit(seed)))
    return ids.crossJoin(days).select(
        "customer_id",
        F.date_add(F.lit(month).cast("date"), (F.col("week") * 5).cast("int")).alias("event_date"),
        (h % 600 / 10.0).alias("minutes"),
        (h % 5000).cast("long").alias("data_mb"),
        (h % 13 == 0).cast("int").alias("support_calls"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="lake root folder")
    parser.add_argument("--batch", type=int, default=1, choices=[1, 2])
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    spark = SparkSession.builder.appName("churn-ingest").getOrCreate()
    raw = f"{args.root}/raw"
    n = args.customers
    if args.batch == 1:
        new_customers = customers(spark, 1, n, args.seed)
        mode, month, usage_ids = "overwrite", "2026-09-01", (1, n)
    else:
        # batch 2: 10% new customers, plus late-arriving updates of 5% of the existing ones
        new_customers = customers(spark, n + 1, n // 10, args.seed).unionByName(
            customers(spark, 1, n // 20, args.seed + 100)
        )
        mode, month, usage_ids = "append", "2026-10-01", (1, n + n // 10)

    new_customers.write.format("delta").mode(mode).save(f"{raw}/customers")
    subscriptions(new_customers.dropDuplicates(["customer_id"]), args.seed).write.format(
        "delta"
    ).mode(mode).save(f"{raw}/subscriptions")
    usage(spark, usage_ids[0], usage_ids[1], month, args.seed).write.format("delta").mode(
        mode
    ).partitionBy("event_date").save(f"{raw}/usage")
    spark.stop()


if __name__ == "__main__":
    main()
