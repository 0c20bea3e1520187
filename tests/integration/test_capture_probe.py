"""Before a capture, the agent recognises Delta reading its own log state, on real Spark plans.

Such a query gets no event either way (its only inputs are in-memory RDDs, and it writes nothing);
the probe only saves the capture. So the probe must answer True exactly for read-only actions
over in-memory RDDs, and False for anything the full capture could turn into an event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.agent import LineageAgent, attach
from spark_lineage.capture.probe import reads_engine_state_only
from spark_lineage.capture.streams import StreamRegistry

pytestmark = pytest.mark.integration


def execution(df: Any) -> Any:
    """The JVM ``QueryExecution`` of a DataFrame, as the listener would hand it over."""
    return df._jdf.queryExecution()


@pytest.fixture
def rdd_frame(spark: Any) -> Any:
    """A DataFrame over an in-memory RDD: the shape of Delta's log state."""
    # on this session (``rdd.toDF`` would take the active one, which another test may have set)
    return spark.createDataFrame(spark.sparkContext.parallelize([(1, "a"), (2, "b")]),
                                 ["id", "name"])


def test_a_read_only_action_over_an_rdd_is_engine_state(rdd_frame: Any) -> None:
    for action in ("collect", "head", "count", "collectToPython"):
        assert reads_engine_state_only(execution(rdd_frame.where("id > 1")), action,
                                       StreamRegistry())


def test_a_write_is_never_engine_state_whatever_it_reads(rdd_frame: Any) -> None:
    for function_name in ("command", "save", "insertInto", "saveAsTable"):
        assert not reads_engine_state_only(execution(rdd_frame), function_name,
                                           StreamRegistry())


def test_a_read_of_a_file_or_of_generated_rows_is_a_users_query(
    spark: Any, rdd_frame: Any, tmp_path: Path
) -> None:
    spark.range(3).write.parquet(str(tmp_path / "t"))
    parquet = spark.read.parquet(str(tmp_path / "t"))

    for frame in (parquet, spark.range(5), rdd_frame.join(parquet, "id")):
        assert not reads_engine_state_only(execution(frame), "collect", StreamRegistry())


def test_a_subquery_over_a_table_makes_it_a_users_query(spark: Any, rdd_frame: Any,
                                                        tmp_path: Path) -> None:
    spark.range(3).write.parquet(str(tmp_path / "ids"))
    spark.read.parquet(str(tmp_path / "ids")).createOrReplaceTempView("probe_ids")
    rdd_frame.createOrReplaceTempView("probe_rdd")

    frame = spark.sql("SELECT * FROM probe_rdd WHERE id IN (SELECT id FROM probe_ids)")

    assert not reads_engine_state_only(execution(frame), "collect", StreamRegistry())


def test_with_a_streaming_query_in_the_session_the_capture_decides(rdd_frame: Any) -> None:
    streams = StreamRegistry()
    streams.add("query-1", object())  # a foreachBatch DataFrame is a LogicalRDD too

    assert not reads_engine_state_only(execution(rdd_frame), "collect", streams)


def test_a_plan_that_cannot_be_read_is_captured_as_usual() -> None:
    assert not reads_engine_state_only(object(), "collect", StreamRegistry())


def test_the_agent_skips_the_capture_of_deltas_log_state_and_keeps_every_event(
    spark: Any, tmp_path: Path
) -> None:
    events_file = tmp_path / "events.jsonl"
    agent = attach(spark, {"spark.lineage.openlineage.path": str(events_file)})
    assert isinstance(agent, LineageAgent)
    try:
        table = str(tmp_path / "scores")
        spark.range(10).selectExpr("id", "id * 2 AS score").write.format("delta").save(table)
        spark.read.format("delta").load(table).where("score > 4").write.format("delta") \
            .mode("append").save(table)
        assert spark.read.format("delta").load(table).count() == 17
        assert agent.flush(60)
        phases = agent.health().phases
    finally:
        agent.close(30)

    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    writes = [e for e in events if e["outputs"]]
    assert len(writes) == 2  # the overwrite and the append, each with its own event
    assert [o["name"] for e in writes for o in e["outputs"]] == [table, table]
    assert [i["name"] for i in writes[1]["inputs"]] == [table]
    # queries the probe looked at, minus those it let through to a capture: Delta's own reads
    skipped = phases["probe"]["calls"] - phases["capture.plan"]["calls"]
    assert skipped > 0
    assert all(not i["name"].startswith("rdd/") for e in events for i in e["inputs"])
