"""Impact analysis on a large synthetic lineage graph: >= 1,000,000 columns, hot source tables.

Generates (once; ``--reuse`` skips it when the graph is there) a layered lake in the Neo4j model of
docs/graph.md under the ``bench`` namespace, then times depth-10 ``impact`` and ``upstream``
walks (the same code as ``spark-lineage impact``) from random columns and prints p50/p95.

Shape (defaults): 20,000 datasets x 50 columns = 1,000,000 columns in 12 layers. Layer 0 holds
2,000 source tables, 5 of them *hot*: about 60 % of all jobs join with one of them, so each hot
table is read by ~2,000 jobs and its ``id`` column steers ~2,000 datasets (FEEDS_DATASET). Every
other dataset is written by one job from a primary input in the previous layer (each column fed by
the same column: IDENTITY / TRANSFORMATION / AGGREGATION), sometimes a second input (20 % of the
columns get a second source), with join keys and a filter as dataset-wide dependencies.

Writes are batched ``UNWIND $rows`` statements straight to Neo4j (not the event writer: that one
does per-run bookkeeping a synthetic graph does not need), in transactions of ``--batch`` rows.

    .venv/bin/python benchmarks/impact_large_graph.py --uri bolt://127.0.0.1:17887
    .venv/bin/python benchmarks/impact_large_graph.py --uri ... --reuse --queries 100
    .venv/bin/python benchmarks/impact_large_graph.py --uri ... --drop     # remove it again

The password comes from SPARK_LINEAGE_NEO4J_PASSWORD (default ``spark-lineage``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j

from spark_lineage.graph.schema import ensure_schema
from spark_lineage.impact.api import lineage_report
from spark_lineage.impact.model import DatasetInfo, Direction, Target
from spark_lineage.impact.traverse import DEFAULT_DEPTH

NAMESPACE = "bench"
JOB_NAMESPACE = "bench"
T0 = 1_700_000_000_000

CREATE_DATASETS = """
UNWIND $rows AS d
CREATE (ds:Dataset {key: d.key, namespace: 'bench', name: d.name, format: 'delta',
                    table: d.table})
WITH ds, d
UNWIND range(0, d.columns - 1) AS i
CREATE (ds)-[:HAS_COLUMN]->(:Column {key: d.key + '::c' + i, name: 'c' + i,
                                     dataset_key: d.key, type: 'string'})
"""

CREATE_JOBS = """
UNWIND $rows AS j
CREATE (job:Job {key: j.key, namespace: 'bench', name: j.name})
WITH job, j
MATCH (out:Dataset {key: j.output})
CREATE (job)-[:WRITES {first_seen: $t, last_seen: $t}]->(out)
WITH job, j
UNWIND j.inputs AS input
MATCH (src:Dataset {key: input})
CREATE (job)-[:READS {first_seen: $t, last_seen: $t}]->(src)
"""

CREATE_FEEDS = """
UNWIND $rows AS e
MATCH (s:Column {key: e.s})
MATCH (t:Column {key: e.t})
CREATE (s)-[:FEEDS {job: e.job, type: e.type, subtype: e.subtype, masking: false,
                    first_seen: $t, last_seen: $t, runs: 1}]->(t)
"""

CREATE_FEEDS_DATASET = """
UNWIND $rows AS e
MATCH (s:Column {key: e.s})
MATCH (t:Dataset {key: e.t})
CREATE (s)-[:FEEDS_DATASET {job: e.job, type: 'INDIRECT', subtype: e.subtype, masking: false,
                            first_seen: $t, last_seen: $t, runs: 1}]->(t)
"""

COUNT_BENCH = """
MATCH (c:Column) WHERE c.key STARTS WITH 'bench::' RETURN count(c) AS columns
"""

DROP_BATCH = """
MATCH (n) WHERE (n:Dataset OR n:Column OR n:Job) AND n.key STARTS WITH 'bench::'
WITH n LIMIT 20000
DETACH DELETE n
RETURN count(*) AS deleted
"""

_SUBTYPES = (("IDENTITY", 0.6), ("TRANSFORMATION", 0.3), ("AGGREGATION", 0.1))


@dataclass(frozen=True)
class Shape:
    datasets: int
    columns: int
    layers: int
    sources: int
    hot: int
    seed: int


def dataset_key(index: int) -> str:
    return f"{NAMESPACE}::/lake/t{index:06d}"


def column_key(index: int, column: int) -> str:
    return f"{dataset_key(index)}::c{column}"


def layer_of(shape: Shape) -> list[int]:
    """Layer of every dataset: sources first, the rest spread evenly over the other layers."""
    rest = shape.datasets - shape.sources
    per_layer = rest / (shape.layers - 1)
    return [0] * shape.sources + [1 + int(i / per_layer) for i in range(rest)]


def plan(shape: Shape) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Jobs, column edges and dataset-wide edges of the synthetic lake (deterministic)."""
    rng = random.Random(shape.seed)
    layers = layer_of(shape)
    by_layer: dict[int, list[int]] = {}
    for index, layer in enumerate(layers):
        by_layer.setdefault(layer, []).append(index)
    hot = list(range(shape.hot))
    jobs: list[dict[str, Any]] = []
    feeds: list[dict[str, Any]] = []
    steer: list[dict[str, Any]] = []
    for out in range(shape.sources, shape.datasets):
        layer = layers[out]
        job = f"{JOB_NAMESPACE}::job{out:06d}"
        primary = rng.choice(by_layer[layer - 1])
        inputs = [primary]
        if rng.random() < 0.6:
            inputs.append(rng.choice(hot))
        if rng.random() < 0.3:
            inputs.append(rng.choice(by_layer[rng.randrange(0, layer)]))
        inputs = list(dict.fromkeys(inputs))
        jobs.append(
            {
                "key": job,
                "name": f"job{out:06d}",
                "output": dataset_key(out),
                "inputs": [dataset_key(i) for i in inputs],
            }
        )
        for column in range(shape.columns):
            subtype = rng.choices([s for s, _ in _SUBTYPES], [w for _, w in _SUBTYPES])[0]
            feeds.append(
                {
                    "s": column_key(primary, column),
                    "t": column_key(out, column),
                    "job": job,
                    "type": "DIRECT",
                    "subtype": subtype,
                }
            )
            if len(inputs) > 1 and rng.random() < 0.2:
                other = rng.choice(inputs[1:])
                feeds.append(
                    {
                        "s": column_key(other, rng.randrange(shape.columns)),
                        "t": column_key(out, column),
                        "job": job,
                        "type": "DIRECT",
                        "subtype": "TRANSFORMATION",
                    }
                )
        for source in inputs:  # join keys: every input's id column steers the output's rows
            if len(inputs) > 1:
                steer.append(
                    {
                        "s": column_key(source, 0),
                        "t": dataset_key(out),
                        "job": job,
                        "subtype": "JOIN",
                    }
                )
        if rng.random() < 0.3:
            steer.append(
                {
                    "s": column_key(primary, 1),
                    "t": dataset_key(out),
                    "job": job,
                    "subtype": "FILTER",
                }
            )
    return jobs, feeds, steer


def batches(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write(
    driver: neo4j.Driver, query: str, rows: Sequence[dict[str, Any]], size: int, label: str
) -> None:
    started = time.perf_counter()
    done = 0

    def run_chunk(tx: neo4j.ManagedTransaction, chunk: Sequence[dict[str, Any]]) -> None:
        tx.run(query, rows=chunk, t=T0).consume()

    for chunk in batches(rows, size):
        with driver.session() as session:
            session.execute_write(run_chunk, chunk)
        done += len(chunk)
        elapsed = time.perf_counter() - started
        print(
            f"\r  {label}: {done:,}/{len(rows):,} rows, {done / elapsed:,.0f}/s",
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)


def generate(driver: neo4j.Driver, shape: Shape, batch: int) -> float:
    """Create the lake; returns the seconds it took."""
    started = time.perf_counter()
    ensure_schema(driver)
    datasets = [
        {
            "key": dataset_key(i),
            "name": f"/lake/t{i:06d}",
            "table": f"db.t{i:06d}",
            "columns": shape.columns,
        }
        for i in range(shape.datasets)
    ]
    jobs, feeds, steer = plan(shape)
    print(
        f"generating {shape.datasets:,} datasets, {shape.datasets * shape.columns:,} columns, "
        f"{len(jobs):,} jobs, {len(feeds):,} FEEDS, {len(steer):,} FEEDS_DATASET",
        file=sys.stderr,
    )
    write(driver, CREATE_DATASETS, datasets, max(1, batch // shape.columns), "datasets+columns")
    write(driver, CREATE_JOBS, jobs, batch // 4, "jobs")
    write(driver, CREATE_FEEDS, feeds, batch, "FEEDS")
    write(driver, CREATE_FEEDS_DATASET, steer, batch, "FEEDS_DATASET")
    return time.perf_counter() - started


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    driver: neo4j.Driver,
    shape: Shape,
    label: str,
    starts: Sequence[tuple[int, int]],
    direction: Direction,
    depth: int,
    max_nodes: int,
) -> None:
    """Time one walk per start column and print latency percentiles and result sizes."""
    times: list[float] = []
    sizes: list[int] = []
    truncated = 0
    for index, column in starts:
        dataset = DatasetInfo(dataset_key(index), NAMESPACE, f"/lake/t{index:06d}")
        target = Target(dataset, f"c{column}", (column_key(index, column),))
        started = time.perf_counter()
        report = lineage_report(driver, target, direction, depth, max_nodes=max_nodes)
        times.append((time.perf_counter() - started) * 1000)
        sizes.append(len(report.rows))
        truncated += report.truncated
    print(
        f"{label:<46} n={len(times):<4} p50={percentile(times, 0.5):8.1f} ms  "
        f"p95={percentile(times, 0.95):8.1f} ms  max={max(times):8.1f} ms  "
        f"columns reached p50={int(statistics.median(sizes)):,} max={max(sizes):,}"
        + (f"  truncated={truncated}" if truncated else "")
    )


def deep_starts(
    driver: neo4j.Driver, shape: Shape, ends: Sequence[tuple[int, int]], n: int
) -> list[tuple[int, int]]:
    """Columns 9+ hops upstream of last-layer columns: their depth-10 walks really go deep.

    Found with (untimed) upstream walks, so the timed impact walks cross every layer.
    """
    found: list[tuple[int, int]] = []
    for index, column in ends:
        dataset = DatasetInfo(dataset_key(index), NAMESPACE, f"/lake/t{index:06d}")
        target = Target(dataset, f"c{column}", (column_key(index, column),))
        report = lineage_report(driver, target, Direction.UPSTREAM, 10, direct_only=True)
        for row in report.rows:
            if row.depth >= 9:
                table = int(row.dataset_key.rsplit("/t", 1)[1])
                found.append((table, int(row.column[1:])))
                break
        if len(found) >= n:
            break
    return found


NAIVE_DOWNSTREAM = """
MATCH p = (:Column {key: $key})-[:FEEDS*1..10]->(c:Column)
RETURN c.key AS column, min(length(p)) AS depth
"""

# What the report needs per column (is there an all-DIRECT path, which jobs are on the way)
# depends on the relationships of each path: Neo4j must enumerate the paths.
NAIVE_WITH_PATHS = """
MATCH p = (:Column {key: $key})-[:FEEDS*1..10]->(c:Column)
WITH c, min(length(p)) AS depth,
     max(CASE WHEN all(f IN relationships(p) WHERE f.type = 'DIRECT') THEN 1 ELSE 0 END) AS direct,
     collect(DISTINCT [f IN relationships(p) | f.job]) AS jobs
RETURN c.key AS column, depth, direct, size(jobs) AS job_paths
"""


def measure_naive(
    driver: neo4j.Driver, label: str, starts: Sequence[tuple[int, int]], timeout_s: float
) -> None:
    """Baselines: one variable-length Cypher pattern per walk (FEEDS only), with a timeout."""
    for form, query_text in (("key+depth", NAIVE_DOWNSTREAM), ("+path facts", NAIVE_WITH_PATHS)):
        times: list[float] = []
        sizes: list[int] = []
        timed_out = 0
        for index, column in starts:
            started = time.perf_counter()
            try:
                with driver.session() as session:
                    query = neo4j.Query(query_text, timeout=timeout_s)
                    sizes.append(len(session.run(query, key=column_key(index, column)).values()))
            except neo4j.exceptions.ClientError:
                timed_out += 1
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{'baseline ' + form + ', ' + label:<46} n={len(times):<4} "
            f"p50={percentile(times, 0.5):8.1f} ms  p95={percentile(times, 0.95):8.1f} ms  "
            f"columns reached max={max(sizes, default=0):,}"
            + (f"  timed out (> {timeout_s:.0f} s)={timed_out}" if timed_out else "")
        )


def diamond_ladder(driver: neo4j.Driver, width: int, layers: int, timeout_s: float) -> None:
    """Re-converging lineage (every column of a layer feeds every column of the next: unions,
    joins, snapshots merged again) has width**depth paths but only width*layers columns.

    Times the walk and the variable-length baselines from the first layer, then removes it.
    """
    prefix = f"{NAMESPACE}::/diamond"
    datasets = [
        {"key": f"{prefix}/d{k:02d}", "name": f"/diamond/d{k:02d}", "table": None, "columns": width}
        for k in range(layers)
    ]
    edges = [
        {
            "s": f"{prefix}/d{k:02d}::c{a}",
            "t": f"{prefix}/d{k + 1:02d}::c{b}",
            "job": f"{JOB_NAMESPACE}::diamond{k:02d}",
            "type": "DIRECT",
            "subtype": "IDENTITY",
        }
        for k in range(layers - 1)
        for a in range(width)
        for b in range(width)
    ]
    write(driver, CREATE_DATASETS, datasets, 1000, "diamond datasets")
    write(driver, CREATE_FEEDS, edges, 10_000, "diamond FEEDS")
    try:
        start = DatasetInfo(f"{prefix}/d00", NAMESPACE, "/diamond/d00")
        target = Target(start, "c0", (f"{prefix}/d00::c0",))
        started = time.perf_counter()
        report = lineage_report(driver, target, Direction.DOWNSTREAM, layers - 1)
        walk_ms = (time.perf_counter() - started) * 1000
        print(
            f"{'diamond ladder ' + str(width) + 'x' + str(layers) + ': impact walk':<46} "
            f"{walk_ms:10.1f} ms  columns reached={len(report.rows)} "
            f"(paths to the last layer: {width ** (layers - 2):,})"
        )
        for form, text in (("key+depth", NAIVE_DOWNSTREAM), ("+path facts", NAIVE_WITH_PATHS)):
            started = time.perf_counter()
            try:
                with driver.session() as session:
                    query = neo4j.Query(
                        text.replace("*1..10", f"*1..{layers - 1}"), timeout=timeout_s
                    )
                    rows = len(session.run(query, key=target.column_keys[0]).values())
                outcome = f"columns reached={rows}"
            except neo4j.exceptions.ClientError:
                outcome = f"TIMED OUT after {timeout_s:.0f} s"
            elapsed = (time.perf_counter() - started) * 1000
            print(f"{'diamond ladder: baseline ' + form:<46} {elapsed:10.1f} ms  {outcome}")
    finally:
        with driver.session() as session:
            session.run(
                "MATCH (n) WHERE (n:Dataset OR n:Column) AND n.key STARTS WITH $prefix "
                "DETACH DELETE n",
                prefix=prefix,
            ).consume()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", default="bolt://127.0.0.1:17887")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--datasets", type=int, default=20_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--sources", type=int, default=2_000)
    parser.add_argument("--hot", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=10_000, help="rows per transaction")
    parser.add_argument("--queries", type=int, default=100, help="walks per measured group")
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH)
    parser.add_argument("--max-nodes", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench graph")
    parser.add_argument(
        "--baseline", type=int, default=0, help="also time N naive FEEDS*1..10 Cypher walks"
    )
    parser.add_argument("--baseline-timeout", type=float, default=60.0)
    parser.add_argument("--drop", action="store_true", help="delete the bench graph and exit")
    args = parser.parse_args(argv)
    password = os.environ.get("SPARK_LINEAGE_NEO4J_PASSWORD", "spark-lineage")
    shape = Shape(args.datasets, args.columns, args.layers, args.sources, args.hot, args.seed)
    with neo4j.GraphDatabase.driver(args.uri, auth=(args.user, password)) as driver:
        if args.drop:
            deleted = 1
            while deleted:
                with driver.session() as session:
                    deleted = session.run(DROP_BATCH).single(strict=True)["deleted"]
            print("bench graph deleted")
            return 0
        with driver.session() as session:
            existing = session.run(COUNT_BENCH).single(strict=True)["columns"]
        if existing and not args.reuse:
            print(f"{existing:,} bench columns exist: use --reuse or --drop", file=sys.stderr)
            return 2
        if not existing:
            seconds = generate(driver, shape, args.batch)
            print(f"generation: {seconds:,.0f} s")
        with driver.session() as session:
            columns = session.run(COUNT_BENCH).single(strict=True)["columns"]
        print(f"graph: {columns:,} bench columns; depth {args.depth}, cap {args.max_nodes:,}")
        rng = random.Random(args.seed + 1)
        layers = layer_of(shape)
        n = args.queries

        def pick(layer_filter: Any) -> list[tuple[int, int]]:
            pool = [i for i, layer in enumerate(layers) if layer_filter(layer)]
            return [(rng.choice(pool), rng.randrange(2, shape.columns)) for _ in range(n)]

        measure(
            driver,
            shape,
            "impact, random value column (any layer)",
            pick(lambda layer: True),
            Direction.DOWNSTREAM,
            args.depth,
            args.max_nodes,
        )
        sources = pick(lambda layer: layer == 0)
        measure(
            driver,
            shape,
            "impact, value column of a source table",
            sources,
            Direction.DOWNSTREAM,
            args.depth,
            args.max_nodes,
        )
        hot_starts = [
            (rng.randrange(shape.hot), rng.randrange(2, shape.columns))
            for _ in range(max(5, n // 10))
        ]
        measure(
            driver,
            shape,
            "impact, value column of a hot table",
            hot_starts,
            Direction.DOWNSTREAM,
            args.depth,
            args.max_nodes,
        )
        measure(
            driver,
            shape,
            "upstream, column of the last layers",
            pick(lambda layer: layer >= shape.layers - 2),
            Direction.UPSTREAM,
            args.depth,
            args.max_nodes,
        )
        deep = deep_starts(driver, shape, pick(lambda layer: layer == shape.layers - 1), n)
        measure(
            driver,
            shape,
            "impact, column with a >= 9-hop downstream chain",
            deep,
            Direction.DOWNSTREAM,
            args.depth,
            args.max_nodes,
        )
        if args.baseline:  # the same walks as one variable-length Cypher pattern each
            measure_naive(
                driver, "deep-chain columns", deep[: args.baseline], args.baseline_timeout
            )
            measure_naive(
                driver,
                "hot-table value columns",
                hot_starts[: args.baseline],
                args.baseline_timeout,
            )
            diamond_ladder(driver, 4, 11, args.baseline_timeout)
        hot_keys = [(h, 0) for h in range(shape.hot)]
        measure(
            driver,
            shape,
            "impact, hot table join key (worst case)",
            hot_keys,
            Direction.DOWNSTREAM,
            args.depth,
            args.max_nodes,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
