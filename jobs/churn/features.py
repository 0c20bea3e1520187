"""Churn pipeline, step 3: the training features, one row per customer.

Joins cleaned customers and subscriptions with usage aggregates, adds window features (activity
rank within the country, month-over-month usage trend), an engagement score, and replaces the
customer's identity with a hashed key so that the training set carries no clear PII.

``--new-feature`` (day 2) adds one more feature column, ``minutes_per_active_day``; the write
says why in Delta's commit description (``userMetadata``), which the lineage graph keeps.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

AS_OF = "2026-11-01"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="lake root folder")
    parser.add_argument("--new-feature", action="store_true", help="add minutes_per_active_day")
    parser.add_argument("--description", default=None, help="Delta commit description")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("churn-features").getOrCreate()
    customers = spark.read.format("delta").load(f"{args.root}/clean/customers")
    subscriptions = spark.read.format("delta").load(f"{args.root}/clean/subscriptions")
    usage = spark.read.format("delta").load(f"{args.root}/raw/usage")

    monthly = usage.groupBy("customer_id", F.trunc("event_date", "month").alias("month")).agg(
        F.sum("minutes").alias("month_minutes")
    )
    by_month = Window.partitionBy("customer_id").orderBy("month")
    trend = (
        monthly.withColumn("previous", F.lag("month_minutes").over(by_month))
        .withColumn("last", F.row_number().over(by_month.orderBy(F.col("month").desc())))
        .where(F.col("last") == 1)
        .select(
            "customer_id",
            (F.col("month_minutes") - F.coalesce(F.col("previous"), F.col("month_minutes")))
            .alias("minutes_trend"),
        )
    )
    activity = usage.groupBy("customer_id").agg(
        F.sum("minutes").alias("total_minutes"),
        F.avg("data_mb").alias("avg_data_mb"),
        F.sum("support_calls").alias("support_calls"),
        F.countDistinct("event_date").alias("active_days"),
    )

    features = (
        customers.join(subscriptions, "customer_id")
        .join(activity, "customer_id", "left")
        .join(trend, "customer_id", "left")
        .na.fill({"total_minutes": 0.0, "avg_data_mb": 0.0, "support_calls": 0, "active_days": 0})
        .withColumn("tenure_days", F.datediff(F.lit(AS_OF).cast("date"), F.col("signup_date")))
        .withColumn(
            "activity_rank",
            F.percent_rank().over(Window.partitionBy("country").orderBy("total_minutes")),
        )
        .withColumn(
            "engagement_score",
            F.round(
                F.col("total_minutes") / 100 + F.col("active_days") - 2 * F.col("support_calls"), 3
            ),
        )
        .select(
            F.sha2(F.col("email"), 256).alias("customer_key"),
            "country",
            "plan",
            "monthly_fee",
            "tenure_days",
            "total_minutes",
            "avg_data_mb",
            "support_calls",
            "active_days",
            F.coalesce(F.col("minutes_trend"), F.lit(0.0)).alias("minutes_trend"),
            "activity_rank",
            "engagement_score",
            (1 - F.col("is_active")).alias("churned"),
        )
    )
    if args.new_feature:
        features = features.withColumn(
            "minutes_per_active_day",
            F.round(F.col("total_minutes") / F.greatest(F.col("active_days"), F.lit(1)), 3),
        )
    writer = features.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    if args.description:
        writer = writer.option("userMetadata", args.description)
    writer.save(f"{args.root}/features/churn")
    spark.stop()


if __name__ == "__main__":
    main()
