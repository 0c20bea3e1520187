"""The CLI starts fast: ``--help`` and argument errors load neither the Neo4j driver nor Spark,
and a command loads the driver without the data-frame libraries it would pull in (numpy, pandas,
pyarrow), which stay importable. Each check runs the real entry point in a fresh interpreter and
reads the modules it imported from ``-X importtime``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = {"neo4j", "pandas", "numpy", "pyarrow", "pyspark", "py4j"}


def imported(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime <args>``; its result and the top-level packages it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=False,
    )
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0]
               for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["impact", "--help"], ["export", "--help"], ["diff", "--help"],
     ["impact"]],  # a usage error (no target) exits 2 before any connection
    ids=" ".join,
)
def test_help_and_usage_errors_load_no_driver_and_no_spark(argv: list[str]) -> None:
    done, modules = imported("-m", "spark_lineage.cli", *argv)

    assert done.returncode in (0, 2)
    assert modules & HEAVY == set()


def test_a_command_loads_the_driver_without_its_data_frame_extras() -> None:
    script = (
        "import sys\n"
        "from spark_lineage.cli.app import import_driver\n"
        "import_driver()\n"
        "import neo4j\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules))\n"
    )
    done, modules = imported("-c", script)

    assert "neo4j" in modules
    assert done.stdout.strip() == "[]"  # (importtime lists their refused attempts too)


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed")
def test_the_extras_stay_importable_after_the_driver() -> None:
    script = (
        "from spark_lineage.cli.app import import_driver\n"
        "import_driver()\n"
        "import pandas, pyarrow\n"
        "print(pandas.DataFrame({'a': [1]}).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=REPO, check=False)

    assert (done.returncode, done.stdout.strip()) == (0, "(1, 1)"), done.stderr
