"""Micro-benchmark: plan capture and lineage extraction time against plan size.

Three shapes, each on real Spark (local[1], tiny data): a wide projection (10 to 2,000 columns,
every column transformed), a deep plan (a ``withColumn`` chain of 10 to 400 steps, one Project
node per step) and a wide union (1- to 100-way). For each size it prints the median time of
``capture_plan`` (py4j + ``toJSON``) and of ``extract_lineage`` (pure Python), the plan's node
count and the number of edges, then the growth exponent between the smallest and the largest
size, measured against the number of JSON objects the plan holds (a ``withColumn`` chain repeats
every column in every Project, so its JSON grows quadratically with depth: that is Spark's plan
size, not our algorithm). time ~ n^k: k ~ 1 is linear; the script exits 1 if lineage grows
faster than k = 1.3. Lineage is timed after the JVM is stopped, so Spark threads do not skew it.

    .venv/bin/python benchmarks/lineage_extraction.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_lineage.capture.plan import capture_plan
from spark_lineage.lineage import extract_lineage
from spark_lineage.model import CapturedPlan

MAX_LINEAGE_EXPONENT = 1.3


def session(root: str) -> Any:
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName("lineage-benchmark")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.warehouse.dir", f"{root}/warehouse")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}/derby")
        .getOrCreate()
    )


def median_ms(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def wide_table(spark: Any, root: str, columns: int) -> str:
    from pyspark.sql import functions as F

    path = f"{root}/wide_{columns}"
    if Path(path).exists():
        return path
    spark.range(1).select([F.lit(i).alias(f"c{i}") for i in range(columns)]).write.parquet(path)
    return path


def query_execution(df: Any) -> Any:
    """``df``'s QueryExecution (not run: capture reads only the analyzed plan). A write would
    wrap this plan in one command node; :func:`_edge_count` adds that node for the lineage."""
    return df._jdf.queryExecution()


def capture(qe: Any, repeat: int) -> tuple[float, CapturedPlan]:
    capture_ms, captured = median_ms(lambda: capture_plan(qe, "bench"), repeat)
    return capture_ms, CapturedPlan.from_dict(captured.to_dict())


def json_objects(plan: CapturedPlan) -> int:
    """Plan size as the number of JSON objects (plan and expression nodes) the engine reads."""
    text = json.dumps(plan.nodes)
    return text.count('"class"')


def _edge_count(plan: CapturedPlan) -> int:
    """Edges as if the query were written (a read-only plan has none): wrap it in a write."""
    command = {
        "class": "org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand",
        "num-children": 1,
        "query": 0,
    }
    facts = dict(plan.facts)
    facts["write"] = {"paths": ["file:/bench/out"], "format": "parquet", "mode": "Overwrite"}
    written = extract_lineage(CapturedPlan(nodes=(command, *plan.nodes), facts=facts))
    return sum(len(o.edges) for o in written.outputs)


def exponent(sizes: list[int], times: list[float]) -> float:
    if times[0] <= 0 or sizes[-1] == sizes[0]:
        return 0.0
    return math.log(times[-1] / times[0]) / math.log(sizes[-1] / sizes[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 5
    root = tempfile.mkdtemp(prefix="lineage-bench-")
    spark = session(root)
    spark.sparkContext.setLogLevel("ERROR")
    from pyspark.sql import functions as F

    captured: list[tuple[str, int, float, CapturedPlan]] = []
    try:
        base = spark.read.parquet(wide_table(spark, root, 10))
        capture(query_execution(base.select("c1")), repeat)  # warm-up: first toJSON is slow
        shapes: dict[str, list[tuple[int, Any]]] = {
            "wide projection": [],
            "deep plan": [],
            "wide union": [],
        }
        widths = [10, 100, 500, 2000] if args.quick else [10, 100, 500, 1000, 2000]
        for width in widths:
            df = spark.read.parquet(wide_table(spark, root, width))
            shapes["wide projection"].append(
                (width, query_execution(df.select([(F.col(c) + 1).alias(c) for c in df.columns])))
            )
        depths = [10, 50, 200] if args.quick else [10, 50, 100, 200, 400]
        for depth in depths:
            df = base
            for step in range(depth):
                df = df.withColumn(f"s{step}", F.col("c1") + F.col(f"c{step % 10}"))
            shapes["deep plan"].append((depth, query_execution(df)))
        ways = [1, 10, 50, 100] if args.quick else [1, 10, 25, 50, 100]
        for way in ways:
            df = base.select("c1", "c2")
            for _ in range(way - 1):
                df = df.unionAll(base.select("c3", "c4"))
            shapes["wide union"].append((way, query_execution(df)))
        for label, runs in shapes.items():
            for size, qe in runs:
                capture_ms, plan = capture(qe, repeat)
                captured.append((label, size, capture_ms, plan))
    finally:
        spark.stop()
        shutil.rmtree(root, ignore_errors=True)
    return report(captured, repeat)


def report(captured: list[tuple[str, int, float, CapturedPlan]], repeat: int) -> int:
    """Time the pure-Python lineage (JVM stopped, so Spark's threads do not skew it) and print."""
    failed = False
    for label in dict.fromkeys(row[0] for row in captured):
        objects, captures, lineages = [], [], []
        for _, size, capture_ms, plan in (row for row in captured if row[0] == label):
            gc.collect()
            lineage_ms, _ = median_ms(lambda plan=plan: extract_lineage(plan), repeat)
            count = json_objects(plan)
            objects.append(count)
            captures.append(capture_ms)
            lineages.append(lineage_ms)
            print(
                f"{label:<16} size={size:>5} nodes={len(plan.nodes):>4} json objects={count:>7}"
                f"  capture={capture_ms:8.1f} ms  lineage={lineage_ms:8.2f} ms"
                f"  edges={_edge_count(plan)}"
            )
        k_capture, k_lineage = exponent(objects, captures), exponent(objects, lineages)
        verdict = "linear" if k_lineage <= MAX_LINEAGE_EXPONENT else "SUPERLINEAR"
        print(
            f"{label:<16} growth vs json objects: capture ~n^{k_capture:.2f},"
            f" lineage ~n^{k_lineage:.2f} ({verdict})\n"
        )
        failed |= k_lineage > MAX_LINEAGE_EXPONENT
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
