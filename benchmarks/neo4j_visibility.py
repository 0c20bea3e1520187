"""End-to-end latency: from a query's end to its lineage being visible in Neo4j (target p95 < 2 s).

One Spark session (local[2], Delta on) with the agent attached and only the Neo4j sink. Each
measured query writes a new output (parquet and Delta, alternating: a projection with a derived
column and a filter over a small source). A poller thread, on its own Bolt connection, asks Neo4j
every 10 ms which of the expected outputs have a ``Dataset`` with written columns, and records
when each first appears; the latency is that moment minus the moment the write's action returned
in the job (which is just after Spark's own query-end event, so the figure is a slight
underestimate of at most a few ms).

Queries run back to back, as in a job (the next one does not wait for the previous lineage):
the figure includes queueing behind earlier queries on the agent's worker.

Then the wide case (``--wide``, goal: visible within 1 s): writes of ``--wide-columns`` (2,000)
columns copied from a wide parquet source, one at a time, each measured until **all** its columns
are in Neo4j with their lineage (the poller counts them), so that a sink writing in several
transactions is not seen early.

    .venv/bin/python benchmarks/neo4j_visibility.py --uri bolt://127.0.0.1:7687 [--queries 40]

Password from ``SPARK_LINEAGE_NEO4J_PASSWORD``. Prints one line per query and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VISIBLE = """
MATCH (d:Dataset)-[:HAS_COLUMN]->(:Column)<-[:FEEDS]-(:Column)
WHERE d.name IN $names
RETURN DISTINCT d.name AS name
"""


WIDE_VISIBLE = """
MATCH (d:Dataset {name: $name})-[:HAS_COLUMN]->(c:Column)
WHERE EXISTS { (c)<-[:FEEDS]-(:Column) }
RETURN count(c) AS columns
"""


def wait_wide(driver: Any, name: str, columns: int, timeout: float) -> float | None:
    """The moment (perf_counter) all ``columns`` of ``name`` have lineage in Neo4j, or None."""
    deadline = time.monotonic() + timeout
    with driver.session() as session:
        while time.monotonic() < deadline:
            if session.run(WIDE_VISIBLE, name=name).single(strict=True)["columns"] >= columns:
                return time.perf_counter()
            time.sleep(0.01)
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


class Poller(threading.Thread):
    """Records the first time each expected dataset is visible (with its lineage) in Neo4j."""

    def __init__(self, driver: Any) -> None:
        super().__init__(daemon=True)
        self.driver = driver
        self.pending: set[str] = set()
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def expect(self, name: str) -> None:
        with self.lock:
            self.pending.add(name)

    def run(self) -> None:
        with self.driver.session() as session:
            while not self.stop.is_set():
                with self.lock:
                    names = sorted(self.pending)
                if names:
                    found = [r["name"] for r in session.run(VISIBLE, names=names)]
                    now = time.perf_counter()
                    with self.lock:
                        for name in found:
                            self.seen.setdefault(name, now)
                            self.pending.discard(name)
                self.stop.wait(0.01)


def measure_wide(spark: Any, agent: Any, driver: Any, root: str, writes: int, columns: int,
                 timeout: float) -> dict[str, Any]:
    """``writes`` copies of a ``columns``-wide source, each until all its columns are visible."""
    spark.range(10).selectExpr(*[f"id + {i} AS c{i}" for i in range(columns)]) \
        .write.parquet(f"{root}/wide-source")
    agent.flush(120)
    source = spark.read.parquet(f"{root}/wide-source")
    latencies: list[float] = []
    for i in range(writes):
        path = f"{root}/wide{i}"
        source.write.parquet(path)
        end = time.perf_counter()
        seen = wait_wide(driver, path, columns, timeout)
        latency = None if seen is None else max(0.0, seen - end) * 1000
        print(f"wide     {Path(path).name:6s} "
              f"{'not seen' if latency is None else f'{latency:8.1f} ms'} ({columns} columns)")
        if latency is not None:
            latencies.append(latency)
    result: dict[str, Any] = {"columns": columns, "writes": writes,
                              "missing": writes - len(latencies)}
    if latencies:
        result.update({"p50_ms": round(statistics.median(latencies), 1),
                       "max_ms": round(max(latencies), 1)})
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--wide", type=int, default=5, help="wide writes, one at a time")
    parser.add_argument("--wide-columns", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the last lineage before giving up")
    args = parser.parse_args()
    password = os.environ.get("SPARK_LINEAGE_NEO4J_PASSWORD", "spark-lineage")

    import neo4j
    from pyspark.sql import SparkSession

    from spark_lineage import attach
    from spark_lineage.tools.spark_conf import delta_spark_conf

    root = tempfile.mkdtemp(prefix="bench-visibility-")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("neo4j-visibility")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", f"{root}/warehouse")
        .config("spark.lineage.sinks", "neo4j")
        .config("spark.lineage.neo4j.uri", args.uri)
        .config("spark.lineage.neo4j.user", args.user)
        .config("spark.lineage.neo4j.spool.dir", f"{root}/spool")
    )
    for key, value in delta_spark_conf().items():
        builder = builder.config(key, value)
    os.environ["SPARK_LINEAGE_NEO4J_PASSWORD"] = password
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    agent = attach(spark)
    driver = neo4j.GraphDatabase.driver(args.uri, auth=(args.user, password))
    poller = Poller(driver)
    poller.start()
    ended: dict[str, float] = {}
    kinds: dict[str, str] = {}
    try:
        spark.range(2000).selectExpr("id", "id % 7 AS k", "concat('n', id) AS name") \
            .write.parquet(f"{root}/source")
        source = spark.read.parquet(f"{root}/source")
        for i in range(3):  # warm-up: JIT, Delta classes, the sink's first connection
            source.selectExpr("id").write.format("delta").save(f"{root}/warm{i}")
        agent.flush(120)
        for i in range(args.queries):
            kind = "delta" if i % 2 else "parquet"
            path = f"{root}/out{i}"
            poller.expect(path)
            out = source.where(f"k <> {i % 7}").selectExpr("id", f"k * {i} AS score", "name")
            out.write.format(kind).save(path)
            ended[path] = time.perf_counter()
            kinds[path] = kind
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and len(poller.seen) < len(ended):
            time.sleep(0.05)
        wide = measure_wide(spark, agent, driver, root, args.wide, args.wide_columns,
                            args.timeout)
    finally:
        poller.stop.set()
        poller.join(5)
        health = agent.health().log_line()
        agent.close(60)
        driver.close()
        spark.stop()

    latencies: dict[str, float] = {}
    for path, end in ended.items():
        seen = poller.seen.get(path)
        latency = None if seen is None else max(0.0, seen - end) * 1000
        print(f"{kinds[path]:8s} {Path(path).name:6s} "
              f"{'not seen' if latency is None else f'{latency:8.1f} ms'}")
        if latency is not None:
            latencies[path] = latency
    values = list(latencies.values())
    summary: dict[str, Any] = {
        "queries": len(ended),
        "visible": len(values),
        "missing": len(ended) - len(values),
        "health": health,
    }
    if values:
        summary.update({
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1),
            "by_kind_p50_ms": {k: round(statistics.median(
                [v for p, v in latencies.items() if kinds[p] == k]), 1)
                for k in sorted(set(kinds.values()))},
        })
    summary["wide"] = wide
    print(json.dumps(summary))
    return 0 if summary["missing"] == 0 and wide["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
