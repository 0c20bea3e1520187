"""The agent on real Spark (the shared session): events, failures, isolation, back-pressure.

Each test attaches its own agent to the shared session and closes it at the end, so tests do not
see each other's events.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pyspark
import pytest

from spark_lineage.agent import DisabledAgent, LineageAgent, attach
from spark_lineage.capture.versions import spark_line
from spark_lineage.model import CapturedPlan, DatasetRef, InputDataset, LineageEvent, QueryLineage
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.registry import register_sink

pytestmark = pytest.mark.integration


class ExplodingSink(Sink):
    """A sink whose backend is always down."""

    type_name = "exploding"

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> ExplodingSink:
        return cls()

    def emit(self, event: LineageEvent) -> None:
        raise ConnectionError("backend unreachable")

    def flush(self, timeout: float | None = None) -> bool:
        raise ConnectionError("backend unreachable")


register_sink("exploding", ExplodingSink)


@contextmanager
def fresh_tables(spark: Any, *tables: str) -> Iterator[None]:
    """The session-catalog ``tables`` do not exist inside the block, nor after it."""
    for table in tables:
        spark.sql(f"DROP TABLE IF EXISTS {table}")
    try:
        yield
    finally:
        for table in tables:
            spark.sql(f"DROP TABLE IF EXISTS {table}")


#: What a stubbed lineage engine answers: a read of one dataset (a query with no dataset at all
#: gets no event).
READ_ONLY = QueryLineage(inputs=(InputDataset(DatasetRef("file", "/stub")),))

def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    return tmp_path / "events.jsonl"


@pytest.fixture
def agent_conf(events_file: Path) -> dict[str, str]:
    return {"spark.lineage.openlineage.path": str(events_file)}


@pytest.fixture
def close_agents() -> Iterator[list[Any]]:
    agents: list[Any] = []
    yield agents
    for agent in agents:
        agent.close(30)


def start(spark: Any, conf: dict[str, str], close_agents: list[Any], **kwargs: Any) -> Any:
    agent = attach(spark, conf, **kwargs)
    close_agents.append(agent)
    return agent


def test_attached_agent_reports_a_write_with_run_job_app_timing_and_datasets(
    spark: Any,
    tmp_path: Path,
    events_file: Path,
    agent_conf: dict[str, str],
    close_agents: list[Any],
) -> None:
    agent = start(spark, agent_conf, close_agents)
    assert isinstance(agent, LineageAgent)
    source, target = str(tmp_path / "source"), str(tmp_path / "target")
    spark.range(4).selectExpr("id", "id * 2 AS doubled").write.parquet(source)
    before_ms = int(time.time() * 1000)
    spark.read.parquet(source).selectExpr("doubled + 1 AS plus").write.parquet(target)

    assert agent.flush(60)
    after_ms = int(time.time() * 1000) + 1
    events = read_events(events_file)
    writes = [e for e in events if any(o["name"].endswith("/target") for o in e["outputs"])]
    assert len(writes) == 1
    (event,) = writes
    assert event["eventType"] == "COMPLETE"
    assert uuid.UUID(event["run"]["runId"])
    assert event["job"]["namespace"] == "spark"
    # the application and the output's short name: no write function, no machine path
    assert event["job"]["name"] == "spark_lineage_tests.target"
    app = event["run"]["facets"]["spark_applicationDetails"]
    assert app["applicationId"] == spark.sparkContext.applicationId
    assert app["appName"] == "spark-lineage-tests"
    query = event["run"]["facets"]["spark_lineage_query"]
    # the query ran inside the write call: it ended and it started within the measured window
    ended_ms = int(datetime.fromisoformat(event["eventTime"]).timestamp() * 1000)
    assert before_ms <= ended_ms <= after_ms
    assert 0 < query["durationMs"] <= ended_ms - before_ms
    assert [(i["namespace"], i["name"]) for i in event["inputs"]] == [("file", source)]
    assert [(o["namespace"], o["name"]) for o in event["outputs"]] == [("file", target)]


def test_a_query_that_fails_in_spark_produces_a_fail_event(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    agent = start(spark, agent_conf, close_agents)
    with pytest.raises(Exception, match=r"USER_RAISED_EXCEPTION|boom"):
        spark.range(2).selectExpr("raise_error('boom') AS x").collect()

    assert agent.flush(60)
    fails = [e for e in read_events(events_file) if e["eventType"] == "FAIL"]
    assert len(fails) == 1
    assert "boom" in fails[0]["run"]["facets"]["errorMessage"]["message"]
    assert fails[0]["run"]["facets"]["errorMessage"]["stackTrace"].startswith("\tat ")
    assert fails[0]["run"]["facets"]["spark_lineage_query"]["durationMs"] > 0
    assert agent.health().fail_events == 1


@pytest.mark.skipif(
    spark_line(pyspark.__version__) < (4, 0),
    reason=f"Spark {pyspark.__version__}: an analysis error reaches query execution listeners "
    "from Spark 4.0 on (3.5 raises it before any listener is called)",
)
def test_an_analysis_error_also_produces_a_fail_event_with_the_sql(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    agent = start(spark, agent_conf, close_agents)
    with pytest.raises(Exception, match="UNRESOLVED_COLUMN"):
        spark.sql("SELECT no_such_column FROM range(3)").collect()

    assert agent.flush(60)
    (fail,) = [e for e in read_events(events_file) if e["eventType"] == "FAIL"]
    assert "UNRESOLVED_COLUMN" in fail["run"]["facets"]["errorMessage"]["message"]
    assert fail["job"]["facets"]["sql"]["query"] == "SELECT no_such_column FROM range(3)"


def test_a_sink_that_raises_affects_neither_the_job_nor_the_other_sinks(
    spark: Any, tmp_path: Path, events_file: Path, close_agents: list[Any]
) -> None:
    conf = {
        "spark.lineage.sinks": "exploding,openlineage",
        "spark.lineage.openlineage.path": str(events_file),
    }
    agent = start(spark, conf, close_agents)
    spark.range(3).write.parquet(str(tmp_path / "out"))
    assert spark.read.parquet(str(tmp_path / "out")).count() == 3

    assert agent.flush(60) is False  # the exploding sink could not flush: said, not raised
    health = agent.health()
    assert health.processed == 2
    assert health.sink_errors["0:exploding"] >= 2
    assert health.sink_errors["1:openlineage"] == 0
    assert len(read_events(events_file)) == 2


def test_a_full_queue_skips_with_a_count_instead_of_blocking_the_job(
    spark: Any,
    events_file: Path,
    agent_conf: dict[str, str],
    close_agents: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()

    def stuck_capture(query_execution: Any, function_name: str, ended_at_ms: int) -> CapturedPlan:
        release.wait(120)
        return CapturedPlan(nodes=())

    conf = {**agent_conf, "spark.lineage.queue.size": "1"}
    agent = start(
        spark, conf, close_agents, capture=stuck_capture, extract=lambda p: READ_ONLY
    )
    started = time.monotonic()
    for n in range(6):
        assert spark.range(n + 1).count() == n + 1
    spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(30_000)
    elapsed = time.monotonic() - started

    health = agent.health()
    assert health.seen == 6
    assert health.skipped >= 4  # one in the worker, at most one queued
    assert health.queued + health.skipped == health.seen
    assert elapsed < 60
    assert any("queue full" in r.getMessage() for r in caplog.records)
    release.set()
    assert agent.flush(60)
    assert agent.health().processed == health.queued


def test_nothing_raised_in_capture_or_lineage_reaches_the_job(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    def broken_capture(query_execution: Any, function_name: str, ended_at_ms: int) -> CapturedPlan:
        raise RuntimeError("capture bug")

    agent = start(spark, agent_conf, close_agents, capture=broken_capture)
    assert spark.range(3).count() == 3

    assert agent.flush(60)
    assert agent.health().failed == 1
    (event,) = read_events(events_file)
    assert event["eventType"] == "COMPLETE"
    assert "capture bug" in event["run"]["facets"]["spark_lineage_query"]["warnings"][0]


def test_nothing_raised_on_the_listener_thread_reaches_the_job(
    spark: Any,
    agent_conf: dict[str, str],
    close_agents: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = start(spark, agent_conf, close_agents)

    def exploding_offer(pending: Any) -> bool:
        raise MemoryError("listener bug")

    monkeypatch.setattr(agent.listener, "_offer", exploding_offer)
    assert spark.range(3).count() == 3
    assert spark.range(4).count() == 4
    spark.sparkContext._jsc.sc().listenerBus().waitUntilEmpty(30_000)

    assert agent.listener.stats.callback_errors == 2


def test_listener_thread_time_is_under_a_millisecond_at_p50(
    spark: Any, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    agent = start(spark, agent_conf, close_agents, extract=lambda p: READ_ONLY)
    for n in range(20):
        spark.range(n + 1).count()
    assert agent.flush(60)

    health = agent.health()
    assert health.seen == 20
    assert health.listener_ms_p50 < 1.0


def test_kill_switch_leaves_the_session_untouched(
    spark: Any, events_file: Path, agent_conf: dict[str, str]
) -> None:
    agent = attach(spark, {**agent_conf, "spark.lineage.enabled": "false"})
    spark.range(2).count()

    assert isinstance(agent, DisabledAgent)
    assert agent.flush(1) is True
    assert not events_file.exists()


def test_an_invalid_setting_disables_the_agent_with_one_log_line(
    spark: Any, agent_conf: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, {**agent_conf, "spark.lineage.queue.size": "lots"})
    spark.range(2).count()

    assert isinstance(agent, DisabledAgent)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "spark.lineage.queue.size must be an integer" in errors[0].getMessage()


def test_close_logs_the_health_line_and_is_idempotent(
    spark: Any, agent_conf: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, agent_conf, extract=lambda p: READ_ONLY)
    spark.range(2).count()
    agent.close(60)
    agent.close(60)

    health_lines = [r.getMessage() for r in caplog.records if "health:" in r.getMessage()]
    assert len(health_lines) == 1
    assert "queries seen=1 processed=1 skipped=0 failed=0" in health_lines[0]


def test_column_lineage_and_schema_of_a_delta_write_reach_the_openlineage_event(
    spark: Any,
    tmp_path: Path,
    events_file: Path,
    agent_conf: dict[str, str],
    close_agents: list[Any],
) -> None:
    agent = start(spark, agent_conf, close_agents)
    source, target = str(tmp_path / "orders"), str(tmp_path / "totals")
    spark.createDataFrame([(1, 2.0), (1, 3.0), (2, 5.0)], ["customer", "amount"]).write.format(
        "delta"
    ).save(source)
    spark.read.format("delta").load(source).groupBy("customer").agg(
        {"amount": "sum"}
    ).withColumnRenamed("sum(amount)", "total").write.format("delta").save(target)

    assert agent.flush(60)
    (event,) = [
        e for e in read_events(events_file) if e["outputs"] and e["outputs"][0]["name"] == target
    ]
    (read,) = event["inputs"]
    (written,) = event["outputs"]
    assert read["name"] == source
    assert written["facets"]["storage"]["storageLayer"] == "delta"
    fields = written["facets"]["columnLineage"]["fields"]
    total_sources = {(f["name"], f["field"]) for f in fields["total"]["inputFields"]}
    assert (source, "amount") in total_sources
    assert [f["name"] for f in written["facets"]["schema"]["fields"]] == ["customer", "total"]


def test_submitted_events_reach_the_sinks_in_order_with_query_events(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    from spark_lineage.model import EventType

    agent = start(spark, agent_conf, close_agents, extract=lambda p: READ_ONLY)
    spark.range(2).count()
    agent.flush(60)
    submitted = LineageEvent(
        run_id=str(uuid.uuid4()),
        event_type=EventType.COMPLETE,
        job_namespace="spark",
        job_name="spark_lineage_tests.train.model",
        event_time_ms=1,
        started_at_ms=1,
        ended_at_ms=1,
        app=agent.app,
        function_name="record_model",
    )

    assert agent.submit(submitted) is True
    assert agent.flush(60)
    names = [e["job"]["name"] for e in read_events(events_file)]
    assert names == ["spark_lineage_tests.read.stub", "spark_lineage_tests.train.model"]
    assert agent.health().processed == 2


def test_deltas_own_inner_queries_are_filtered_by_name_without_reading_their_plans(
    spark: Any, tmp_path: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    from spark_lineage.capture.plan import capture_plan

    captured: list[str] = []

    def recording_capture(query_execution: Any, function_name: str, ended_at_ms: int) -> Any:
        captured.append(function_name)
        return capture_plan(query_execution, function_name, ended_at_ms)

    agent = start(spark, agent_conf, close_agents, capture=recording_capture)
    spark.range(5).write.format("delta").save(str(tmp_path / "t"))
    spark.read.format("delta").load(str(tmp_path / "t")).count()
    assert agent.flush(60)

    seen = agent.health().seen
    assert seen > len(captured)  # Delta's deltaTransactionalWrite / cache queries were seen...
    assert not any(
        name == "deltaTransactionalWrite" or name.startswith("Cache Delta Table State")
        for name in captured
    )  # ...and never captured
    assert "command" in captured


def test_columns_with_no_direct_input_are_listed_in_the_column_lineage_facet(
    spark: Any, tmp_path: Path, events_file: Path, agent_conf: dict[str, str],
    close_agents: list[Any]
) -> None:
    source = str(tmp_path / "visits")
    spark.range(6).selectExpr("id", "id % 2 AS dept").write.parquet(source)
    table = "lineage_daily_counts"
    spark.sql(f"DROP TABLE IF EXISTS {table}")
    spark.sql(f"CREATE TABLE {table} (dept BIGINT, n BIGINT, day STRING) USING parquet "
              "PARTITIONED BY (day)")
    agent = start(spark, agent_conf, close_agents)
    try:
        spark.read.parquet(source).createOrReplaceTempView("visits_view")
        spark.sql("INSERT INTO lineage_daily_counts PARTITION (day = '2026-12-01') "
                  "SELECT dept, count(*) AS n FROM visits_view GROUP BY dept")
        assert agent.flush(60)
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {table}")

    facets = [o["facets"]["columnLineage"] for e in read_events(events_file)
              for o in e["outputs"] if o["name"].endswith(f"/{table}")]
    assert facets, "no event wrote the table"
    fields = facets[0]["fields"]
    assert set(fields) == {"dept", "n", "day"}
    assert [(f["name"], f["field"]) for f in fields["dept"]["inputFields"]] == [(source, "dept")]
    assert fields["n"]["inputFields"] == []  # count(*): no column feeds its value...
    assert fields["day"]["inputFields"] == []  # ...nor the static partition value
    assert {(f["name"], f["field"]) for f in facets[0]["dataset"]} == {(source, "dept")}


def test_a_delta_catalog_write_is_one_event_on_the_tables_location_with_its_version(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    with fresh_tables(spark, "lineage_one_event", "lineage_one_event_copy"):
        agent = start(spark, agent_conf, close_agents)
        rows = spark.range(3).selectExpr("id", "id * 10 AS amount")
        rows.write.format("delta").saveAsTable("lineage_one_event")  # CTAS
        rows.write.format("delta").mode("overwrite").saveAsTable("lineage_one_event")  # RTAS
        spark.sql("CREATE OR REPLACE TABLE lineage_one_event_copy USING delta AS "
                  "SELECT id, amount + 1 AS amount FROM lineage_one_event")
        assert agent.flush(60)

    writes = [(o["namespace"], o["name"].rsplit("/", 1)[-1],
               o["facets"].get("version", {}).get("datasetVersion"),
               [s["name"] for s in o["facets"].get("symlinks", {}).get("identifiers", [])])
              for e in read_events(events_file) for o in e["outputs"]]
    # no location-less spark_catalog twin from the inner write into the staged table
    assert writes == [
        ("file", "lineage_one_event", "0", ["default.lineage_one_event"]),
        ("file", "lineage_one_event", "1", ["default.lineage_one_event"]),
        ("file", "lineage_one_event_copy", "0", ["default.lineage_one_event_copy"]),
    ]
    assert agent.health().filtered >= 3  # the three inner writes, among Delta's own queries


def test_a_parquet_catalog_write_is_one_event_named_by_its_table(
    spark: Any, events_file: Path, agent_conf: dict[str, str], close_agents: list[Any]
) -> None:
    """Spark reports a parquet saveAsTable as three queries into one location (insert, CTAS,
    save): they reach the sinks as one event, job and dataset named by the table."""
    with fresh_tables(spark, "lineage_parquet_one", "lineage_parquet_copy"):
        agent = start(spark, agent_conf, close_agents)
        rows = spark.range(3).selectExpr("id", "id * 10 AS amount")
        rows.write.format("parquet").saveAsTable("lineage_parquet_one")
        rows.write.format("parquet").mode("overwrite").saveAsTable("lineage_parquet_one")
        spark.sql("CREATE TABLE lineage_parquet_copy USING parquet AS "
                  "SELECT id, amount + 1 AS amount FROM lineage_parquet_one")
        assert agent.flush(60)

    events = [e for e in read_events(events_file) if e["outputs"]]
    writes = [(e["job"]["name"], o["name"].rsplit("/", 1)[-1],
               [s["name"] for s in o["facets"].get("symlinks", {}).get("identifiers", [])],
               sorted(o["facets"]["columnLineage"]["fields"]))
              for e in events for o in e["outputs"]]
    app = agent.namer.application
    assert writes == [
        (f"{app}.default.lineage_parquet_one", "lineage_parquet_one",
         ["default.lineage_parquet_one"], ["amount", "id"]),
        (f"{app}.default.lineage_parquet_one", "lineage_parquet_one",
         ["default.lineage_parquet_one"], ["amount", "id"]),
        (f"{app}.default.lineage_parquet_copy", "lineage_parquet_copy",
         ["default.lineage_parquet_copy"], ["amount", "id"]),
    ]
    health = agent.health()
    assert (health.processed, health.failed, health.lost) == (3, 0, 0)
    # the folded queries are counted, not lost: on Spark 4, 2 x (insert + CTAS) and 1 insert;
    # Spark 3.5 runs one query fewer for these writes
    assert health.filtered >= (5 if spark_line(pyspark.__version__) >= (4, 0) else 4)


class _OtherPythonListener:
    """Another library's py4j QueryExecutionListener (MLflow's, a second agent's), registered
    before ours."""

    class Java:
        implements = ["org.apache.spark.sql.util.QueryExecutionListener"]

    def onSuccess(self, funcName: str, qe: Any, durationNs: int) -> None:
        pass

    def onFailure(self, funcName: str, qe: Any, exception: Any) -> None:
        pass

    def equals(self, other: Any) -> bool:
        return other is self

    def hashCode(self) -> int:
        return id(self) & 0x7FFFFFFF


def test_closing_the_agent_unregisters_it_when_another_python_listener_comes_first(
    spark: Any, agent_conf: dict[str, str]
) -> None:
    from spark_lineage.capture.context import register_listener, unregister_listener

    manager = spark._jsparkSession.listenerManager()
    before = len(manager.listListeners())
    other = register_listener(spark, _OtherPythonListener())
    try:
        agent = attach(spark, agent_conf)
        assert isinstance(agent, LineageAgent)
        assert len(manager.listListeners()) == before + 2

        agent.close(30)

        # Spark removes by equals, called on our proxy for the listener ahead of it.
        assert len(manager.listListeners()) == before + 1
    finally:
        unregister_listener(spark, other)
    assert len(manager.listListeners()) == before
