"""Shared fixtures: one Spark session with Delta per test run, and the local Neo4j over Bolt.

The Neo4j server is started once by ``scripts/test.sh`` (``make test``), which exports its Bolt URI
as ``SPARK_LINEAGE_TEST_NEO4J_URI``; tests marked ``neo4j`` fail loudly if it does not answer.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest

from spark_lineage.graph.schema import ensure_schema
from spark_lineage.tools.jarset import delta_available, installed_spark_line
from spark_lineage.tools.spark_conf import SMALL_DATA_CONF, delta_spark_conf

TEST_SPARK_CONF = {
    **SMALL_DATA_CONF,
    "spark.ui.enabled": "false",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.memory": "2g",
}


def pytest_configure(config: pytest.Config) -> None:
    """A test run reads and writes no file of the developer's home: it gets an empty one.

    The CLI and the agent read ``~/.config/spark-lineage/config.toml`` (which ``make demo``
    writes) and spool into ``~/.spark-lineage/spool``; neither may leak into a test. Tests that
    need a home of their own still make one.
    """
    os.environ["HOME"] = tempfile.mkdtemp(prefix="spark-lineage-test-home-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``smoke`` tests run first: a broken set-up shows in the first seconds of a run. On a
    Spark line without Delta Lake (4.3), the ``delta`` tests are skipped with that reason."""
    items.sort(key=lambda item: item.get_closest_marker("smoke") is None)
    if any(item.get_closest_marker("delta") for item in items) and not delta_available():
        line = installed_spark_line()
        reason = f"Spark {line}: no Delta Lake release supports it (the test uses Delta)"
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if item.get_closest_marker("delta"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def spark_warehouse() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="spark-lineage-warehouse-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def spark(spark_warehouse: Path) -> Iterator[Any]:
    """The run's one SparkSession (local[2], Delta enabled, small shuffles)."""
    from pyspark.sql import SparkSession

    # Python workers (UDFs, pandas UDFs) must run this interpreter, which has pyarrow.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master("local[2]").appName("spark-lineage-tests")
    for key, value in {**delta_spark_conf(), **TEST_SPARK_CONF}.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.warehouse.dir", str(spark_warehouse / "warehouse"))
    builder = builder.config(
        "spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_warehouse / 'derby'}"
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def no_listener_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that attaches an agent to the shared session must close it: a listener left behind
    would see every later test's queries (and skew what those tests measure)."""
    if "spark" not in request.fixturenames:
        yield
        return
    session = request.getfixturevalue("spark")
    before = _listener_count(session)
    yield
    left = _listener_count(session) - before
    assert left <= 0, f"{left} query listener(s) left registered on the shared session"


def _listener_count(session: Any) -> int:
    return len(session._jsparkSession.listenerManager().listListeners())


@pytest.fixture(scope="session")
def neo4j_uri() -> str:
    """Bolt URI of the local test Neo4j, started once per test run by scripts/test.sh."""
    uri = os.environ.get("SPARK_LINEAGE_TEST_NEO4J_URI")
    if not uri:
        pytest.fail(
            "SPARK_LINEAGE_TEST_NEO4J_URI is not set: run the tests with `make test`, which starts "
            "the local Neo4j, or export the URI of a running server"
        )
    return uri


@pytest.fixture(scope="session")
def neo4j_auth() -> tuple[str, str]:
    return (
        os.environ.get("SPARK_LINEAGE_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("SPARK_LINEAGE_TEST_NEO4J_PASSWORD", "spark-lineage"),
    )


@pytest.fixture(scope="session")
def driver(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[neo4j.Driver]:
    """One Bolt driver to the test Neo4j for the whole run, with the graph's schema in place."""
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as opened:
        ensure_schema(opened)
        yield opened
