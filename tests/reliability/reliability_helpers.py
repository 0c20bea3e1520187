"""Helpers shared by the reliability suite: running the real CLI, making events, printing figures.

Importable from the tests of this directory (pytest puts the directory on ``sys.path``, as for
``tests/unit/lineage/lineage_assertions.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    Transformation,
    TransformationSubtype,
)

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def figure(name: str, value: object) -> None:
    """Print one measured figure in a greppable form (``pytest -s`` or the -rA summary shows it)."""
    print(f"[reliability figure] {name} = {value}")


def cli_env(
    uri: str, auth: tuple[str, str], tmp_path: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for ``spark-lineage`` subprocesses: the test server, an empty config file and
    a private spool, so nothing of the developer's own set-up leaks in."""
    config = tmp_path / "empty-config.toml"
    config.write_text("")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SPARK_LINEAGE_") or key.startswith("SPARK_LINEAGE_TEST_")
    }
    env.update(
        {
            "SPARK_LINEAGE_NEO4J_URI": uri,
            "SPARK_LINEAGE_NEO4J_USER": auth[0],
            "SPARK_LINEAGE_NEO4J_PASSWORD": auth[1],
            "SPARK_LINEAGE_CONFIG": str(config),
            "SPARK_LINEAGE_SPOOL_DIR": str(tmp_path / "cli-spool"),
        }
    )
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str], env: Mapping[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """``spark-lineage ARGS`` as a user runs it (a separate interpreter)."""
    return subprocess.run(
        [PYTHON, "-m", "spark_lineage.cli", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=timeout,
        cwd=ROOT,
    )


def simple_event(root: str, jobs_ns: str, n: int) -> LineageEvent:
    """A small COMPLETE event: ``<root>src.a`` feeds ``<root>dst.a`` (IDENTITY)."""
    src = DatasetRef("file", root + "src", "delta")
    dst = DatasetRef("file", root + "dst", "delta")
    at = 1_700_000_000_000 + n * 1000
    return LineageEvent(
        run_id=f"{jobs_ns}-run-{n}",
        event_type=EventType.COMPLETE,
        job_namespace=jobs_ns,
        job_name="reliability",
        event_time_ms=at,
        started_at_ms=at - 10,
        ended_at_ms=at,
        app=AppContext("app", "reliability"),
        inputs=(InputDataset(src),),
        outputs=(
            OutputDataset(
                dst,
                edges=(
                    ColumnEdge(
                        ColumnRef(src, "a"),
                        ColumnRef(dst, "a"),
                        Transformation(TransformationSubtype.IDENTITY),
                    ),
                ),
            ),
        ),
    )
