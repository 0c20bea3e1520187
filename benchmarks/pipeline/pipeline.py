"""Benchmark pipeline: a representative PySpark job of a few dozen queries over a small lake.

Run as its own ``spark-submit`` process by ``benchmarks/job_overhead.py`` (agent off, our agent
on, the OpenLineage Spark agent on), so every variant pays the same start-up and runs the same
queries. It covers what lineage agents find hard: reads, joins, aggregations, windows, a window
over a join, DISTINCT, a nested subquery, a temp view over in-memory rows, a UNION, Delta writes
(overwrite and append), MERGE with a query source, UPDATE and DELETE on Delta, and read-only
actions (count/collect).

At the end it writes a JSON report (``--report``): the job body's wall time, the driver's Python
RSS (current and peak), the driver JVM's heap used and its peak RSS (the JVM is this Python
process' parent under spark-submit), the CPU seconds of both processes so far (user + system,
from ``/proc/<pid>/stat``, children included), and, when our agent is on, its health figures
after a flush (with the worker's time per stage).

    .venv/bin/spark-submit <delta confs> benchmarks/pipeline/pipeline.py --root DIR --report R
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

#: Output datasets (relative to the lake root) the pipeline writes; the coverage comparison uses it.
OUTPUTS = (
    "raw/customers", "raw/orders", "raw/products",
    "clean/customers", "clean/orders_enriched", "gold/customer_spend", "gold/country_rank",
    "gold/order_rank_joined", "gold/customer_dim", "gold/all_contacts", "gold/countries",
    "gold/big_spenders", "gold/segments", "gold/daily_sales",
)


def proc_kib(pid: int | str, key: str) -> int:
    """A ``/proc/<pid>/status`` memory line (VmRSS, VmHWM) in KiB; 0 when not readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_s(pid: int | str) -> float:
    """User + system CPU seconds of a process and of its waited-for children, from
    ``/proc/<pid>/stat`` (utime, stime, cutime, cstime); 0 when not readable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 is fields[0]
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # fields 14-17 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def run(spark: SparkSession, root: str, scale: int, small: bool = False) -> int:
    """The queries; returns how many Spark actions ran. ``small``: stop after the first MERGE."""
    actions = 0

    def delta(df: Any, name: str, mode: str = "overwrite") -> None:
        nonlocal actions
        df.write.format("delta").mode(mode).save(f"{root}/{name}")
        actions += 1

    def parquet(df: Any, name: str) -> None:
        nonlocal actions
        df.write.mode("overwrite").parquet(f"{root}/{name}")
        actions += 1

    def load(name: str) -> Any:
        return spark.read.format("delta").load(f"{root}/{name}")

    # Sources: parquet files (reads by path).
    parquet(
        spark.range(scale).select(
            F.col("id").alias("customer_id"),
            F.concat(F.lit("name"), F.col("id").cast("string")).alias("name"),
            F.concat(F.lit("u"), F.col("id").cast("string"), F.lit("@x.org")).alias("email"),
            F.element_at(F.array(*[F.lit(c) for c in ("FR", "DE", "US", "JP")]),
                         (F.col("id") % 4 + 1).cast("int")).alias("country"),
            (F.col("id") % 90 + 18).alias("age"),
        ),
        "raw/customers",
    )
    parquet(
        spark.range(scale * 5).select(
            F.col("id").alias("order_id"),
            (F.col("id") % scale).alias("customer_id"),
            (F.col("id") % 50).alias("product_id"),
            (F.col("id") % 7 + 1).alias("quantity"),
            F.date_add(F.lit("2026-01-01").cast("date"), (F.col("id") % 300).cast("int"))
            .alias("order_date"),
        ),
        "raw/orders",
    )
    parquet(
        spark.range(50).select(
            F.col("id").alias("product_id"),
            F.concat(F.lit("p"), F.col("id").cast("string")).alias("label"),
            (F.col("id") * 1.5 + 2).alias("price"),
        ),
        "raw/products",
    )
    customers = spark.read.parquet(f"{root}/raw/customers")
    orders = spark.read.parquet(f"{root}/raw/orders")
    products = spark.read.parquet(f"{root}/raw/products")
    for df in (customers, orders, products):  # read-only actions
        df.count()
        actions += 1

    # Cleaning: filter, trim, masking hash.
    delta(
        customers.where(F.col("age") >= 21).select(
            "customer_id",
            F.upper(F.trim("name")).alias("name"),
            F.sha2(F.col("email"), 256).alias("email_hash"),
            "country",
            "age",
        ),
        "clean/customers",
    )
    # Join + derived column.
    delta(
        orders.join(products, "product_id").select(
            "order_id", "customer_id", "product_id", "order_date",
            (F.col("quantity") * F.col("price")).alias("amount"),
        ),
        "clean/orders_enriched",
    )
    enriched = load("clean/orders_enriched")
    clean_customers = load("clean/customers")
    # Aggregation.
    delta(
        enriched.groupBy("customer_id").agg(
            F.sum("amount").alias("total"), F.count("*").alias("orders"),
            F.max("order_date").alias("last_order"),
        ),
        "gold/customer_spend",
    )
    spend = load("gold/customer_spend")
    # Window over a join.
    by_country = Window.partitionBy("country").orderBy(F.col("total").desc())
    delta(
        spend.join(clean_customers, "customer_id")
        .select("customer_id", "country", "total", F.rank().over(by_country).alias("rank"))
        .where(F.col("rank") <= 10),
        "gold/country_rank",
    )
    # Window then join (the case OpenLineage users report as lost).
    by_customer = Window.partitionBy("customer_id").orderBy(F.col("amount").desc())
    ranked = enriched.withColumn("n", F.row_number().over(by_customer)).where(F.col("n") == 1)
    delta(
        ranked.join(clean_customers, "customer_id").select(
            "customer_id", "name", F.col("amount").alias("top_amount"), "order_date"
        ),
        "gold/order_rank_joined",
    )
    # MERGE with a query source, twice (insert then update).
    delta(clean_customers.select("customer_id", "name", "country").limit(0), "gold/customer_dim")
    from delta.tables import DeltaTable

    for round_ in range(2):
        source = clean_customers.where(F.col("customer_id") % 2 == round_).join(
            spend, "customer_id", "left"
        ).select("customer_id", "name", "country", F.coalesce("total", F.lit(0.0)).alias("total"))
        (
            DeltaTable.forPath(spark, f"{root}/gold/customer_dim").alias("t")
            .merge(source.alias("s"), "t.customer_id = s.customer_id")
            .whenMatchedUpdate(set={"name": "s.name", "country": "s.country"})
            .whenNotMatchedInsert(values={"customer_id": "s.customer_id", "name": "s.name",
                                          "country": "s.country"})
            .execute()
        )
        actions += 1
        if small:
            return actions
    # UPDATE and DELETE on Delta.
    dim = DeltaTable.forPath(spark, f"{root}/gold/customer_dim")
    dim.update(F.col("country") == "JP", {"name": F.lower(F.col("name"))})
    dim.delete(F.col("customer_id") % 97 == 0)
    actions += 2
    # UNION.
    delta(
        clean_customers.select(F.col("customer_id").alias("id"), F.col("name").alias("label"))
        .unionByName(products.select(F.col("product_id").alias("id"), "label")),
        "gold/all_contacts",
    )
    # DISTINCT.
    delta(clean_customers.select("country").distinct(), "gold/countries")
    # Nested subquery in SQL over temp views.
    clean_customers.createOrReplaceTempView("customers_v")
    spend.createOrReplaceTempView("spend_v")
    delta(
        spark.sql(
            "SELECT c.customer_id, c.name, c.country FROM customers_v c WHERE c.customer_id IN "
            "(SELECT customer_id FROM spend_v WHERE total > (SELECT avg(total) FROM spend_v))"
        ),
        "gold/big_spenders",
    )
    # Temp view over in-memory rows, joined to a table.
    spark.createDataFrame(
        [("FR", "EU"), ("DE", "EU"), ("US", "NA"), ("JP", "AS")], "country string, region string"
    ).createOrReplaceTempView("regions_v")
    delta(
        spark.sql(
            "SELECT r.region, count(*) AS customers, avg(s.total) AS avg_total "
            "FROM customers_v c JOIN regions_v r ON c.country = r.country "
            "LEFT JOIN spend_v s ON s.customer_id = c.customer_id GROUP BY r.region"
        ),
        "gold/segments",
    )
    # Append twice (daily increments) with a CASE expression.
    for half in (0, 1):
        delta(
            enriched.where(F.dayofmonth("order_date") % 2 == half)
            .groupBy("order_date")
            .agg(F.sum(F.when(F.col("amount") > 20, F.col("amount")).otherwise(0)).alias("big"),
                 F.sum("amount").alias("amount")),
            "gold/daily_sales",
            mode="append",
        )
    # Read-only actions on the results.
    for name in ("gold/customer_dim", "gold/daily_sales", "gold/country_rank", "gold/segments"):
        load(name).count()
        actions += 1
    load("gold/segments").orderBy("region").collect()
    load("gold/countries").collect()
    actions += 2
    return actions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="lake root folder (created)")
    parser.add_argument("--report", required=True, help="JSON report written here")
    parser.add_argument("--scale", type=int, default=2000, help="customers (orders = 5x)")
    parser.add_argument("--small", action="store_true", help="a smoke subset (up to a MERGE)")
    args = parser.parse_args()
    spark = SparkSession.builder.appName("bench-pipeline").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter()
    actions = run(spark, os.path.abspath(args.root), args.scale, args.small)
    body_s = time.perf_counter() - started
    report: dict[str, Any] = {"body_s": round(body_s, 3), "actions": actions}
    agent_on = spark.conf.get("spark.lineage.enabled", "false").lower() == "true"
    if agent_on:
        from spark_lineage import attach

        agent: Any = attach(spark)  # the auto-attached agent (attach is idempotent per session)
        flush_started = time.perf_counter()
        report["flushed"] = bool(agent.flush(300))
        report["flush_s"] = round(time.perf_counter() - flush_started, 3)
        health = agent.health()
        report["health"] = dataclasses.asdict(health)
        report["health_line"] = health.log_line()
    jvm = spark.sparkContext._jvm
    runtime = jvm.java.lang.Runtime.getRuntime()
    report["jvm_heap_used_mib"] = round((runtime.totalMemory() - runtime.freeMemory()) / 2**20, 1)
    report["jvm_heap_committed_mib"] = round(runtime.totalMemory() / 2**20, 1)
    heap = jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
    report["jvm_heap_used_mxbean_mib"] = round(heap.getUsed() / 2**20, 1)
    report["python_rss_mib"] = round(proc_kib("self", "VmRSS") / 1024, 1)
    report["python_peak_rss_mib"] = round(proc_kib("self", "VmHWM") / 1024, 1)
    report["jvm_peak_rss_mib"] = round(proc_kib(os.getppid(), "VmHWM") / 1024, 1)
    report["python_cpu_s"] = round(proc_cpu_s("self"), 3)
    report["jvm_cpu_s"] = round(proc_cpu_s(os.getppid()), 3)
    Path(args.report).write_text(json.dumps(report, indent=2, default=str))
    spark.stop()


if __name__ == "__main__":
    main()
