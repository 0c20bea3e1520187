"""The golden lineage cases marked ``live``, run on the shared real Spark + Delta session.

Same queries and expectations as the recorded fixtures (tests/fixtures/plans/cases.py), but
captured now with ``capture_plan`` and extracted with ``extract_lineage``, so that a change in
Spark's or Delta's plans shows up here even before anyone re-records the fixtures. The tables
live in their own database (``lineage_it``), so labels ``default.x`` read ``lineage_it.x``.
Families that need a session of another kind (``cases.FAMILY_SESSIONS``: Hive support) are run
live by their own tests (``test_hive_writes.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyspark
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "plans"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "lineage"))

from cases import (
    CASES,
    Case,
    attach,
    data_paths,
    detach,
    drain,
    pick,
    run_case,
    session_kind,
    setup,
    skip_reason,
)
from lineage_assertions import assert_column_lineage, assert_versions_and_schema

from spark_lineage.capture.plan import capture_plan
from spark_lineage.lineage import extract_lineage
from spark_lineage.tools.jarset import delta_available

pytestmark = pytest.mark.integration
DATABASE = "lineage_it"
#: The shared session is the default kind; the ``hive`` family runs in test_hive_writes.py.
LIVE = [c for c in CASES if c.live and session_kind(c.family) == "default"]
#: False on a line no Delta release supports: the Delta tables are not set up.
DELTA = delta_available()
#: Cases that use SQL this Spark line lacks (``Case.since``), or Delta on a line without it, are
#: skipped with that reason.
LIVE_PARAMS = [
    pytest.param(
        c,
        id=f"{c.family}: {c.title}",
        marks=pytest.mark.skipif(
            skip_reason(c, pyspark.__version__, DELTA) is not None,
            reason=skip_reason(c, pyspark.__version__, DELTA) or "",
        ),
    )
    for c in LIVE
]


@pytest.fixture(scope="module")
def live(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Any, dict[str, str]]]:
    previous = spark.catalog.currentDatabase()
    spark.sql(f"DROP DATABASE IF EXISTS {DATABASE} CASCADE")
    spark.sql(f"CREATE DATABASE {DATABASE}")
    spark.catalog.setCurrentDatabase(DATABASE)
    paths = data_paths(str(tmp_path_factory.mktemp("lineage-live")))
    recorder = attach(spark)
    try:
        setup(spark, paths, delta=DELTA)
        yield spark, recorder, paths
    finally:
        detach(spark, recorder)
        spark.catalog.setCurrentDatabase(previous)
        spark.sql(f"DROP DATABASE IF EXISTS {DATABASE} CASCADE")


def relabel(rows: list[Any]) -> list[tuple[str, ...]]:
    return [tuple(part.replace("default.", f"{DATABASE}.") for part in row) for row in rows]


@pytest.mark.parametrize("case", LIVE_PARAMS)
def test_live_case(case: Case, live: tuple[Any, Any, dict[str, str]]) -> None:
    spark, recorder, paths = live
    drain(spark)
    recorder.events.clear()
    run_case(case, spark, paths)
    drain(spark)
    function_name, qe = pick(case, recorder.events)
    lineage = extract_lineage(capture_plan(qe, function_name, streams=recorder.streams))
    inputs = [label.replace("default.", f"{DATABASE}.") for label in case.inputs or ()]
    assert_column_lineage(
        lineage, relabel(case.edges), relabel(case.deps), inputs if case.inputs else None
    )
    versions = relabel(case.versions) if case.versions is not None else None
    assert_versions_and_schema(lineage, versions, case.schema)
    for output in lineage.outputs:
        assert output.conservative == ()


def test_every_write_event_of_save_as_table_gives_the_same_lineage(
    live: tuple[Any, Any, dict[str, str]],
) -> None:
    """saveAsTable fires several command events (the outer command and the inner file write);
    whichever one the agent processes, the column lineage is the same."""
    spark, recorder, _ = live
    drain(spark)
    recorder.events.clear()
    spark.table("depts").write.mode("overwrite").format("parquet").saveAsTable("dept_twice")
    drain(spark)
    results = set()
    for function_name, qe in recorder.events:
        lineage = extract_lineage(capture_plan(qe, function_name))
        if lineage.outputs:
            results.add(frozenset((e.source.key, e.target.key) for e in lineage.outputs[0].edges))
    assert len(results) == 1
    (edges,) = results
    assert len(edges) == 2


def _lineage_of(spark: Any, recorder: Any, code: str, paths: dict[str, str], pick_: str) -> Any:
    case = Case("pipeline", "step", code, [], pick=pick_)
    drain(spark)
    recorder.events.clear()
    run_case(case, spark, paths)
    drain(spark)
    function_name, qe = pick(case, recorder.events)
    return extract_lineage(capture_plan(qe, function_name))


def test_a_dataset_keeps_its_name_from_the_job_that_writes_it_to_the_job_that_reads_it(
    live: tuple[Any, Any, dict[str, str]],
) -> None:
    """Joining lineage across jobs is the graph's work; it only needs stable dataset names."""
    spark, recorder, paths = live
    table_write = _lineage_of(
        spark,
        recorder,
        "spark.table('depts').write.mode('overwrite').saveAsTable('stage1')",
        paths,
        "write",
    )
    path_write = _lineage_of(
        spark,
        recorder,
        "spark.table('depts').write.mode('overwrite').parquet(paths['out'])",
        paths,
        "write",
    )
    read_both = _lineage_of(
        spark,
        recorder,
        "spark.table('stage1').join(spark.read.parquet(paths['out']), 'dept_id').collect()",
        paths,
        "read",
    )
    written = {table_write.outputs[0].dataset.key, path_write.outputs[0].dataset.key}
    assert {i.dataset.key for i in read_both.inputs} == written


@pytest.mark.parametrize(
    "write",
    [
        "out(spark.sql(QUERY))",  # save(path): SaveIntoDataSourceCommand
        "spark.sql(QUERY).write.mode('overwrite').saveAsTable('typed_ctas')",
        "spark.sql('CREATE TABLE IF NOT EXISTS typed_into (h STRING, n INT, half DOUBLE,"
        " total INT) USING parquet'); spark.sql(QUERY).write.insertInto('typed_into')",
    ],
    ids=["save(path)", "saveAsTable", "insertInto"],
)
def test_a_write_records_the_types_spark_resolved_for_computed_columns(
    write: str, live: tuple[Any, Any, dict[str, str]]
) -> None:
    """``sha2`` of a binary cast is a string, ``length`` an int, ``1 - age`` an int: the written
    schema is what Spark resolved, not the type of an expression's first typed child (binary,
    string, the literal's)."""
    spark, recorder, paths = live
    query = (
        "SELECT sha2(CAST(email AS BINARY), 256) AS h, length(name) AS n, id / 2 AS half,"
        " 1 - age AS total FROM people"
    )
    lineage = _lineage_of(spark, recorder, f"QUERY = {query!r}\n{write}", paths, "write")
    assert [(f.name, f.type) for f in lineage.outputs[0].schema] == [
        ("h", "string"),
        ("n", "int"),
        ("half", "double"),
        ("total", "int"),
    ]
