"""Record the golden lineage fixtures of one Spark line from a real Spark + Delta session.

Runs every case of ``tests/fixtures/plans/cases.py`` through ``capture_plan`` (the same function
the agent calls) and writes one ``tests/fixtures/plans/spark-<line>/<family>.json`` per rule
family: titled cases, each with the query, the captured plan and the expected edges. A case the
line cannot run (SQL it lacks: the case's ``since``) is written with its title and the reason
as ``skipped`` instead of a plan, so that the replay reports it skipped rather than missing.
All data lives under the fixed root ``/tmp/spark-lineage-fixtures`` (wiped first) so that
recorded paths are stable, and unstable JVM details (jvmId, creation times) are blanked.

Families run on the session kind ``cases.FAMILY_SESSIONS`` names (default: Delta with the
in-memory catalog, data under the root). A ``hive`` family runs on a session with Hive support
and its own Derby metastore, warehouse and data under ``<root>/hive``; one run records the kinds
one after the other, each on a fresh session.

    .venv/bin/python scripts/record_plans.py [--spark 4.1] [--only FAMILY] [--check]
    .venv-spark3.5/bin/python scripts/record_plans.py --spark 3.5

``--spark`` names the line being recorded; it must be the line of the Python that runs the
script (each line's environment is ``make setup SPARK=<line>``), and defaults to it. ``--check``
also runs ``extract_lineage`` on every recording and prints the cases whose result differs from
the expectation (the unit tests assert the same, without a JVM). The fixed root is shared: run
one recording at a time (``flock /tmp/record-plans.lock ...``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "plans"))

from cases import (  # noqa: E402
    CASES,
    Case,
    Recorder,
    attach,
    data_paths,
    drain,
    pick,
    run_case,
    session_kind,
    setup,
    skip_reason,
)

from spark_lineage.capture.plan import capture_plan  # noqa: E402
from spark_lineage.lineage import extract_lineage  # noqa: E402
from spark_lineage.lineage.labels import (  # noqa: E402
    dependency_rows,
    edge_rows,
    input_labels,
    schema_rows,
    version_rows,
)
from spark_lineage.tools.jarset import delta_available, installed_spark_line  # noqa: E402
from spark_lineage.tools.spark_conf import delta_spark_conf  # noqa: E402

ROOT = "/tmp/spark-lineage-fixtures"
FIXTURES = REPO / "tests" / "fixtures" / "plans"
_BLANK = {"jvmId": None, "createTime": 0, "lastAccessTime": 0, "createVersion": ""}


def kind_root(kind: str) -> str:
    """Where a session kind keeps its warehouse and data (the default kind: the root itself)."""
    return ROOT if kind == "default" else f"{ROOT}/{kind}"


def session(kind: str = "default") -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # UDF workers need pandas/pyarrow
    root = kind_root(kind)
    builder = SparkSession.builder.master("local[1]").appName("record-plans")
    conf = {
        **delta_spark_conf(),
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "1",
        "spark.default.parallelism": "1",
        "spark.sql.adaptive.enabled": "false",
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": f"{root}/warehouse",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root}/derby",
    }
    if kind == "hive":
        builder = builder.enableHiveSupport()
        # absolute: the JVM keeps the Derby home of the first session a run starts
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={root}/metastore_db;create=true"
        )
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _BLANK.get(k, normalise(v)) if k in _BLANK else normalise(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def record_case(
    spark: Any, recorder: Recorder, case: Case, paths: dict[str, str]
) -> dict[str, Any]:
    drain(spark)
    recorder.events.clear()
    run_case(case, spark, paths)
    drain(spark)
    function_name, qe = pick(case, recorder.events)
    started = time.perf_counter()
    captured = capture_plan(qe, function_name, streams=recorder.streams)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return {
        "title": case.title,
        "code": case.code,
        "capture_ms": round(elapsed_ms, 1),
        "plan": normalise(captured.to_dict()),
        "expected": {
            "edges": [list(e) for e in case.edges],
            "dataset_dependencies": [list(d) for d in case.deps],
            "inputs": case.inputs,
            "outputs": 0 if case.pick == "read" else 1,
            "versions": [list(v) for v in case.versions] if case.versions is not None else None,
            "schema": case.schema,
        },
    }


def check(record: dict[str, Any]) -> list[str]:
    from spark_lineage.model import CapturedPlan

    lineage = extract_lineage(CapturedPlan.from_dict(record["plan"]))
    problems = []
    expected = record["expected"]
    got_edges, want_edges = edge_rows(lineage), {tuple(e) for e in expected["edges"]}
    if got_edges != want_edges:
        problems.append(
            f"edges missing {sorted(want_edges - got_edges)} extra {sorted(got_edges - want_edges)}"
        )
    got_deps = dependency_rows(lineage)
    want_deps = {tuple(d) for d in expected["dataset_dependencies"]}
    if got_deps != want_deps:
        problems.append(
            f"deps missing {sorted(want_deps - got_deps)} extra {sorted(got_deps - want_deps)}"
        )
    if expected["inputs"] is not None and input_labels(lineage) != set(expected["inputs"]):
        problems.append(f"inputs {sorted(input_labels(lineage))}")
    want_versions = expected.get("versions")
    if want_versions is not None and version_rows(lineage) != {tuple(v) for v in want_versions}:
        problems.append(f"versions {sorted(version_rows(lineage))}")
    if expected.get("schema") is not None and schema_rows(lineage) != expected["schema"]:
        problems.append(f"schema {schema_rows(lineage)}")
    return problems


def fixture_dir(line: str) -> Path:
    """Where the golden fixtures of Spark line ``line`` (``"3.5"``) live."""
    return FIXTURES / f"spark-{line}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark", help="the Spark line recorded (default: the installed one)")
    parser.add_argument("--only", help="record one family only")
    parser.add_argument("--check", action="store_true", help="compare with extract_lineage")
    args = parser.parse_args()
    line = installed_spark_line()
    if args.spark and args.spark != line:
        print(
            f"record_plans: error: this Python runs Spark {line}, not {args.spark}: run"
            f" .venv-spark{args.spark}/bin/python scripts/record_plans.py --spark {args.spark}"
            f" (make setup SPARK={args.spark} builds it)",
            file=sys.stderr,
        )
        return 2
    shutil.rmtree(ROOT, ignore_errors=True)
    selected = [case for case in CASES if not args.only or case.family == args.only]
    kinds = dict.fromkeys(session_kind(case.family) for case in selected)
    families: dict[str, list[dict[str, Any]]] = defaultdict(list)
    failures = 0
    for kind in kinds:
        cases = [case for case in selected if session_kind(case.family) == kind]
        failures += record_kind(kind, cases, families, args.check)
    target_dir = fixture_dir(line)
    target_dir.mkdir(parents=True, exist_ok=True)
    for family, records in families.items():
        target = target_dir / f"{family}.json"
        target.write_text(json.dumps({"family": family, "cases": records}, indent=1) + "\n")
        print(f"wrote {target.relative_to(REPO)} ({len(records)} cases)")
    return 1 if failures else 0


def record_kind(
    kind: str, cases: list[Case], families: dict[str, list[dict[str, Any]]], check_: bool
) -> int:
    """Record ``cases`` on a fresh session of ``kind`` into ``families``; the number of
    failures and mismatches."""
    paths = data_paths(kind_root(kind))
    spark = session(kind)
    failures = 0
    try:
        recorder = attach(spark)
        delta = delta_available()
        setup(spark, paths, kind, delta)
        for case in cases:
            reason = skip_reason(case, spark.version, delta)
            if reason is not None:
                families[case.family].append({"title": case.title, "skipped": reason})
                print(f"[{case.family}] {case.title}: skipped ({reason})")
                continue
            try:
                record = record_case(spark, recorder, case, paths)
            except Exception as exc:  # report and go on: one broken case must not stop the rest
                failures += 1
                print(f"[{case.family}] {case.title}: FAILED {type(exc).__name__}: {exc}"[:400])
                continue
            families[case.family].append(record)
            problems = check(record) if check_ else []
            failures += bool(problems)
            status = "MISMATCH" if problems else "ok"
            print(f"[{case.family}] {case.title}: {status} ({record['capture_ms']} ms)")
            for problem in problems:
                print(f"    {problem}")
        return failures
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
