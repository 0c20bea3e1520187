"""Structured Streaming through the attached agent, end to end: real streams on the shared Spark
4.1 + Delta session, events read back from the agent's OpenLineage file sink.

The golden ``streaming`` cases (tests/fixtures/plans/cases.py) pin the column lineage of one
micro-batch; what only a whole stream shows is tested here: one event per micro-batch, each with
the Delta version that batch committed, and no event of its own for a ``foreachBatch`` batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.agent import LineageAgent, attach

pytestmark = pytest.mark.integration


@pytest.fixture
def agent(spark: Any, tmp_path: Path) -> Iterator[LineageAgent]:
    attached = attach(spark, {"spark.lineage.openlineage.path": str(tmp_path / "events.jsonl")})
    assert isinstance(attached, LineageAgent)
    yield attached
    attached.close(60)


def events(agent: LineageAgent, tmp_path: Path) -> list[dict[str, Any]]:
    assert agent.flush(60)
    path = tmp_path / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def writes_to(all_events: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    return [e for e in all_events if any(o["name"] == path for o in e["outputs"])]


def column_sources(event: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    (output,) = event["outputs"]
    fields = output["facets"]["columnLineage"]["fields"]
    return {
        column: {(Path(i["name"]).name, i["field"]) for i in lineage["inputFields"]}
        for column, lineage in fields.items()
    }


def ledger(spark: Any, path: Path, commits: int) -> None:
    """A Delta table with ``commits`` appends of one row (one data file) each."""
    for n in range(commits):
        schema = "id BIGINT, memo STRING, amount DOUBLE"
        row = spark.createDataFrame([(n, f"m{n}", n + 1.0)], schema)
        row.write.format("delta").mode("append").save(str(path))


def test_every_micro_batch_into_a_delta_sink_is_one_event_with_the_version_it_committed(
    spark: Any, tmp_path: Path, agent: LineageAgent
) -> None:
    source, sink = tmp_path / "ledger", tmp_path / "sink"
    ledger(spark, source, 3)
    query = (
        spark.readStream.format("delta")
        .option("maxFilesPerTrigger", 1)  # one file per batch: three micro-batches
        .load(str(source))
        .selectExpr("id", "upper(memo) AS memo_up")
        .writeStream.format("delta")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start(str(sink))
    )
    query.awaitTermination()

    batches = writes_to(events(agent, tmp_path), str(sink))
    assert len(batches) == 3
    versions = sorted(int(e["outputs"][0]["facets"]["version"]["datasetVersion"]) for e in batches)
    assert versions == [0, 1, 2]
    for event in batches:
        assert event["eventType"] == "COMPLETE"
        assert [i["name"] for i in event["inputs"]] == [str(source)]
        assert column_sources(event) == {
            "id": {("ledger", "id")},
            "memo_up": {("ledger", "memo")},
        }


def test_a_foreach_batch_write_reaches_the_stream_source_and_the_batch_gets_no_event_of_its_own(
    spark: Any, tmp_path: Path, agent: LineageAgent
) -> None:
    source, target = tmp_path / "ledger", tmp_path / "target"
    ledger(spark, source, 2)

    def write_batch(batch_df: Any, batch_id: int) -> None:
        batch_df.write.format("delta").mode("append").save(str(target))

    query = (
        spark.readStream.format("delta")
        .option("maxFilesPerTrigger", 1)
        .load(str(source))
        .selectExpr("id", "amount * 2 AS doubled")
        .writeStream.foreachBatch(write_batch)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()

    all_events = events(agent, tmp_path)
    batches = writes_to(all_events, str(target))
    assert len(batches) == 2
    for event in batches:
        assert [i["name"] for i in event["inputs"]] == [str(source)]
        assert column_sources(event) == {
            "id": {("ledger", "id")},
            "doubled": {("ledger", "amount")},
        }
    functions = {e["run"]["facets"]["spark_lineage_query"]["functionName"] for e in all_events}
    assert "microBatch" not in functions


def test_a_stream_into_a_parquet_file_sink_names_its_source_directory(
    spark: Any, tmp_path: Path, agent: LineageAgent
) -> None:
    source, sink = tmp_path / "events", tmp_path / "copy"
    spark.createDataFrame([(1, "click")], "id BIGINT, kind STRING").write.parquet(str(source))
    query = (
        spark.readStream.schema("id BIGINT, kind STRING")
        .parquet(str(source))
        .selectExpr("id", "length(kind) AS kind_len")
        .writeStream.format("parquet")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start(str(sink))
    )
    query.awaitTermination()

    (event,) = writes_to(events(agent, tmp_path), str(sink))
    assert [i["name"] for i in event["inputs"]] == [str(source)]
    assert column_sources(event) == {"id": {("events", "id")}, "kind_len": {("events", "kind")}}
