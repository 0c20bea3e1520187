"""The golden ``hive`` cases marked ``live``, on a real Hive-enabled session (spark-submit).

Usage: hive_writes.py <work dir>. The session has Hive support, its metastore, warehouse and
Derby home come from the submit's settings, and the agent is on by configuration (its events go
where ``spark.lineage.openlineage.path`` says). For each live case of family ``hive`` (in
``tests/fixtures/plans/cases.py``) the job also captures the case's query with ``capture_plan``
and extracts it with ``extract_lineage``, as the recorder does, and writes what it got to
``<work dir>/cases.json``: title -> edges, dataset dependencies, inputs, conservative classes.
Prints ``DONE <cases>``.
"""

import json
import sys
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "plans"))

from cases import CASES, attach, data_paths, detach, drain, pick, run_case, setup

from spark_lineage.capture.plan import capture_plan
from spark_lineage.lineage import extract_lineage
from spark_lineage.lineage.labels import dependency_rows, edge_rows, input_labels


def run_live_cases(spark: SparkSession, work_dir: str) -> dict[str, Any]:
    paths = data_paths(work_dir)
    recorder = attach(spark)
    results: dict[str, Any] = {}
    try:
        setup(spark, paths, "hive")
        for case in [c for c in CASES if c.family == "hive" and c.live]:
            drain(spark)
            recorder.events.clear()
            run_case(case, spark, paths)
            drain(spark)
            function_name, qe = pick(case, recorder.events)
            lineage = extract_lineage(capture_plan(qe, function_name))
            results[case.title] = {
                "edges": sorted(edge_rows(lineage)),
                "deps": sorted(dependency_rows(lineage)),
                "inputs": sorted(input_labels(lineage)),
                "conservative": [c for o in lineage.outputs for c in o.conservative],
                "warnings": list(lineage.warnings),
            }
    finally:
        detach(spark, recorder)
    return results


if __name__ == "__main__":
    work = sys.argv[1]
    session = SparkSession.builder.appName("hive-writes").enableHiveSupport().getOrCreate()
    found = run_live_cases(session, work)
    Path(work, "cases.json").write_text(json.dumps(found, indent=1))
    print("DONE", len(found), flush=True)
    session.stop()
