"""Streaming writes as recorded from Spark 4.1 (family ``streaming``): what a micro-batch event
carries besides its column edges (those are the golden cases' job), and the registry that keeps
each (query, batch) to one event.
"""

from __future__ import annotations

import json
from typing import Any

from lineage_assertions import fixture_dir

from spark_lineage.capture.streams import StreamRegistry
from spark_lineage.lineage import extract_lineage
from spark_lineage.model import CapturedPlan

FIXTURE = fixture_dir() / "streaming.json"


def recorded(title_start: str) -> dict[str, Any]:
    cases = json.loads(FIXTURE.read_text())["cases"]
    (case,) = [c for c in cases if c["title"].startswith(title_start)]
    return dict(case["plan"])


def test_a_micro_batch_into_a_delta_sink_carries_the_commit_of_that_batch() -> None:
    lineage = extract_lineage(CapturedPlan.from_dict(recorded("a Delta stream into a Delta path")))
    (output,) = lineage.outputs
    assert output.dataset.name.endswith("/sinks/delta_sink")
    assert output.write_mode == "Append"
    assert output.version is not None
    assert output.version.status == "exact"
    assert output.version.operation == "STREAMING UPDATE"
    assert output.version.operation_parameters["epochId"] == "0"
    (read,) = lineage.inputs
    assert read.version is not None and read.version.version == 0


def test_a_micro_batch_into_a_catalog_table_is_named_by_its_location_and_keeps_its_name() -> None:
    lineage = extract_lineage(CapturedPlan.from_dict(recorded("a Delta stream into a Delta cat")))
    (output,) = lineage.outputs
    assert output.dataset.table == "default.stream_ledger"
    assert output.dataset.name.endswith("/warehouse/stream_ledger")


def test_a_foreach_batch_write_reads_the_stream_source_with_its_version() -> None:
    plan = recorded("foreachBatch writing the batch to a Delta path")
    lineage = extract_lineage(CapturedPlan.from_dict(plan))
    assert [i.dataset.name.rsplit("/", 1)[-1] for i in lineage.inputs] == ["ledger"]
    assert lineage.inputs[0].version is not None and lineage.inputs[0].version.version == 0
    assert all(i.dataset.namespace != "memory" for i in lineage.inputs)


def test_a_foreach_batch_dataframe_without_its_micro_batch_is_an_in_memory_input() -> None:
    """Without the stream (agent attached after the stream started, or the registry full) the
    batch DataFrame stays what Spark says it is: an RDD."""
    plan = recorded("foreachBatch writing the batch to a Delta path")
    plan["facts"] = {
        **plan["facts"],
        "relations": [r for r in plan["facts"]["relations"] if "micro_batch" not in r],
    }
    lineage = extract_lineage(CapturedPlan.from_dict(plan))
    assert [i.dataset.namespace for i in lineage.inputs] == ["memory"]
    assert lineage.inputs[0].dataset.name.startswith("rdd/")


def test_each_batch_of_a_query_is_reported_once() -> None:
    registry = StreamRegistry()
    assert registry.first_report("q1", 0)
    assert not registry.first_report("q1", 0)
    assert registry.first_report("q1", 1)
    assert not registry.first_report("q1", 0)  # an older batch after a newer one: already past
    assert registry.first_report("q2", 0)


def test_the_registry_keeps_the_newest_queries_only() -> None:
    registry = StreamRegistry(keep=2)
    for query in ("a", "b", "c"):
        registry.add(query, object())
    assert registry.get("a") is None
    assert registry.get("b") is not None and registry.get("c") is not None
