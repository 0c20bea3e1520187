"""Run the churn pipeline as separate ``spark-submit`` jobs, with lineage on by one config line.

Each job in ``jobs/churn/`` is an ordinary PySpark program; the only thing that turns lineage on
is ``--conf spark.lineage.enabled=true`` (plus where to send it). The run order is the one a data
team would schedule: ingest, clean, features, train model v1, then a second day of ingest, clean
(MERGE of new customers and late updates) and features (one new feature column) that creates
new Delta versions, and model v2 retrained on them. One job runs on ``local-cluster`` (separate
executor JVMs) to show the multi-executor case.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spark_lineage.tools.cds import DriverClassArchive
from spark_lineage.tools.jarset import JarSetError
from spark_lineage.tools.spark_conf import SMALL_DATA_CONF, delta_spark_conf

JOBS = Path(__file__).resolve().parent / "churn"


@dataclass(frozen=True)
class Step:
    title: str
    script: str
    args: tuple[str, ...] = ()
    master: str = "local[2]"


def pipeline_steps(customers: int) -> list[Step]:
    """The pipeline in run order: two days of data and a model trained on each."""
    size = ("--customers", str(customers))
    return [
        Step("day 1: ingest customers, subscriptions, usage", "ingest.py", (*size, "--batch", "1")),
        Step("day 1: clean and standardise", "clean.py"),
        Step("day 1: features (joins, aggregates, windows)", "features.py"),
        Step(
            "train the churn model on features v0 (local-cluster)",
            "train.py",
            ("--features-version", "0", "--model-version", "1"),
            master="local-cluster[2,1,1024]",
        ),
        Step("day 2: ingest new customers and late updates", "ingest.py", (*size, "--batch", "2")),
        Step("day 2: clean, MERGE late updates", "clean.py"),
        Step(
            "day 2: features, with one new feature column",
            "features.py",
            (
                "--new-feature",
                "--description",
                "label:v1.1 late updates merged, new minutes_per_active_day",
            ),
        ),
        Step(
            "day 2: retrain the churn model on the latest features",
            "train.py",
            ("--model-version", "2"),
        ),
    ]


def spark_submit_command(step: Step, root: Path, delta_conf: dict[str, str],
                         lineage_conf: dict[str, str], driver_java_options: str = "") -> list[str]:
    python = sys.executable
    conf = {
        **delta_conf,
        **SMALL_DATA_CONF,
        "spark.ui.enabled": "false",
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": python,
        **lineage_conf,
    }
    if driver_java_options:
        conf["spark.driver.extraJavaOptions"] = driver_java_options
    spark_submit = str(Path(python).parent / "spark-submit")
    command = [spark_submit, "--master", step.master]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, str(JOBS / step.script), "--root", str(root), *step.args]


def run(steps: Sequence[Step], root: Path, delta_conf: dict[str, str],
        lineage_conf: dict[str, str], log_dir: Path) -> None:
    """Run the steps in order with a one-line progress display; stop at the first failure."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    total = len(steps)
    archive = DriverClassArchive()  # the first job archives Spark's classes, the others map them
    for number, step in enumerate(steps, start=1):
        log = log_dir / f"{number:02d}-{Path(step.script).stem}.log"
        print(f"[{number}/{total}] {step.title} ... ", end="", flush=True)
        started = time.monotonic()
        with log.open("w") as out:
            result = subprocess.run(
                spark_submit_command(step, root, delta_conf, lineage_conf,
                                     archive.java_options()),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                check=False,
            )
        archive.job_finished(result.returncode == 0)
        elapsed = time.monotonic() - started
        if result.returncode != 0:
            print(f"FAILED after {elapsed:.0f}s (log: {log})")
            tail = log.read_text(errors="replace").splitlines()[-30:]
            print("\n".join(tail), file=sys.stderr)
            raise SystemExit(result.returncode)
        print(f"ok ({elapsed:.0f}s)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="lake root folder")
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument("--neo4j-uri", default=None, help="send lineage to this Neo4j")
    parser.add_argument("--openlineage-path", type=Path, default=None)
    parser.add_argument("--logs", type=Path, default=None)
    args = parser.parse_args(argv)

    lineage_conf = {"spark.lineage.enabled": "true"}
    if args.neo4j_uri:
        lineage_conf["spark.lineage.neo4j.uri"] = args.neo4j_uri
    if args.openlineage_path:
        lineage_conf["spark.lineage.openlineage.path"] = str(args.openlineage_path)
    root = args.root.resolve()
    try:
        delta_conf = delta_spark_conf()  # the locked Delta jars, checked once for all the jobs
    except JarSetError as exc:
        raise SystemExit(f"demo: {exc}") from None
    run(pipeline_steps(args.customers), root, delta_conf, lineage_conf, args.logs or root / "logs")


if __name__ == "__main__":
    main()
