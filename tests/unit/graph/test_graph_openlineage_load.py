"""Parsing OpenLineage RunEvents (ours and the OpenLineage Spark agent's) into LineageEvents."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from graph_builders import CUSTOMERS, ORDERS, REPORT, col, report_event

from spark_lineage.events import to_openlineage_json
from spark_lineage.model import EventType, TransformationSubtype, VersionInfo
from spark_lineage.openlineage_load import (
    LineError,
    parse_lines,
    parse_time_ms,
    run_event_to_lineage,
)

SPARK_AGENT_EVENT = {
    "eventTime": "2024-05-01T10:00:00.123456789Z",
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.13.1/integration/spark",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "eventType": "COMPLETE",
    "run": {
        "runId": "0190a2b4-0000-7000-8000-000000000001",
        "facets": {
            "parent": {"run": {"runId": "0190a2b4-0000-7000-8000-000000000000"},
                       "job": {"namespace": "default", "name": "my_app"}},
            "processing_engine": {"version": "3.5.1", "name": "spark",
                                  "openlineageAdapterVersion": "1.13.1"},
            "spark_properties": {"properties": {"spark.master": "local[*]"}},
        },
    },
    "job": {"namespace": "default",
            "name": "my_app.execute_insert_into_hadoop_fs_relation_command.tmp_out"},
    "inputs": [{
        "namespace": "file", "name": "/tmp/in",
        "facets": {"schema": {"fields": [{"name": "a", "type": "long"},
                                         {"name": "b", "type": "string"}]},
                   "version": {"datasetVersion": "4"},
                   "symlinks": {"identifiers": [
                       {"namespace": "file:/warehouse", "name": "db.in", "type": "TABLE"}]}},
    }],
    "outputs": [{
        "namespace": "file", "name": "/tmp/out",
        "facets": {
            "schema": {"fields": [{"name": "a", "type": "long"}, {"name": "h", "type": "string"}]},
            "columnLineage": {
                "fields": {
                    "a": {"inputFields": [{"namespace": "file", "name": "/tmp/in", "field": "a",
                          "transformations": [{"type": "DIRECT", "subtype": "IDENTITY",
                                               "description": "", "masking": False}]}]},
                    "h": {"inputFields": [{"namespace": "file", "name": "/tmp/in", "field": "b",
                          "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION",
                                               "description": "sha2", "masking": True}]}]},
                },
                "dataset": [{"namespace": "file", "name": "/tmp/in", "field": "b",
                             "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}]}],
            },
        },
    }],
}


def test_a_spark_agent_event_keeps_its_column_lineage() -> None:
    event = run_event_to_lineage(SPARK_AGENT_EVENT)
    assert event.event_type is EventType.COMPLETE
    assert event.job_name == "my_app.execute_insert_into_hadoop_fs_relation_command.tmp_out"
    assert event.parent_run_id == "0190a2b4-0000-7000-8000-000000000000"
    assert event.event_time_ms == parse_time_ms("2024-05-01T10:00:00.123Z")
    (read,) = event.inputs
    assert read.dataset.table == "db.in"
    assert read.version is not None and read.version.version == 4
    (output,) = event.outputs
    assert [(e.source.name, e.target.name, e.transformation.subtype, e.transformation.masking)
            for e in output.edges] == [
        ("a", "a", TransformationSubtype.IDENTITY, False),
        ("b", "h", TransformationSubtype.TRANSFORMATION, True),
    ]
    ((source, transformation),) = output.dataset_dependencies
    assert (source.name, transformation.subtype) == ("b", TransformationSubtype.FILTER)


def test_legacy_column_lineage_without_transformations_is_read() -> None:
    data = json.loads(json.dumps(SPARK_AGENT_EVENT))
    fields = data["outputs"][0]["facets"]["columnLineage"]["fields"]
    fields["a"] = {"inputFields": [{"namespace": "file", "name": "/tmp/in", "field": "a"}],
                   "transformationType": "IDENTITY", "transformationDescription": "identical"}
    edge = run_event_to_lineage(data).outputs[0].edges[0]
    assert edge.transformation.subtype is TransformationSubtype.IDENTITY
    assert edge.transformation.description == "identical"


def test_running_events_of_other_producers_count_as_progress() -> None:
    event = run_event_to_lineage(SPARK_AGENT_EVENT | {"eventType": "RUNNING"})
    assert event.event_type is EventType.START


def test_our_own_wire_format_round_trips_the_lineage() -> None:
    original = report_event(run_id="0190a2b4-0000-7000-8000-00000000000a")
    parsed = run_event_to_lineage(json.loads(to_openlineage_json(original)))
    assert parsed.run_id == original.run_id
    assert parsed.job_name == original.job_name
    assert parsed.app.app_id == "app-1"
    assert parsed.started_at_ms == original.started_at_ms
    assert sorted((e.source.key, e.target.key, e.transformation) for e in parsed.edges) == sorted(
        (e.source.key, e.target.key, e.transformation) for e in original.edges
    )
    assert {i.dataset.key for i in parsed.inputs} == {ORDERS.key, CUSTOMERS.key}
    assert parsed.outputs[0].dataset.key == REPORT.key
    assert parsed.outputs[0].dataset_dependencies[0][0].key == col(ORDERS, "status").key


def test_a_change_data_feed_read_keeps_its_range_of_versions_on_the_wire() -> None:
    original = report_event(run_id="0190a2b4-0000-7000-8000-00000000000b")
    orders = replace(original.inputs[0], version=VersionInfo(7, starting_version=5))
    ranged = replace(original, inputs=(orders, *original.inputs[1:]))

    wire = json.loads(to_openlineage_json(ranged))
    parsed = run_event_to_lineage(wire)

    facets = wire["inputs"][0]["facets"]
    assert facets["version"]["datasetVersion"] == "7"
    assert facets["spark_lineage_versionRange"]["startingVersion"] == 5
    assert facets["spark_lineage_versionRange"]["endingVersion"] == 7
    assert parsed.inputs[0].version == VersionInfo(7, starting_version=5)
    assert "spark_lineage_versionRange" not in json.loads(to_openlineage_json(original))[
        "inputs"
    ][0]["facets"]


def test_malformed_lines_are_reported_with_their_line_numbers() -> None:
    good = json.dumps(SPARK_AGENT_EVENT)
    lines = [good, "", "{not json", json.dumps({"eventType": "COMPLETE"}), good,
             json.dumps(SPARK_AGENT_EVENT | {"eventTime": "yesterday"})]
    results = list(parse_lines(lines))
    errors = [r for _, r in results if isinstance(r, LineError)]
    assert [(e.line_no, e.message.split(" ")[0]) for e in errors] == [
        (3, "invalid"), (4, "run"), (6, "eventTime"),
    ]
    assert [n for n, r in results if not isinstance(r, LineError)] == [1, 5]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"a": "abc', "invalid JSON: Unterminated string starting at column 7"),
        ('{"a": 1 "b"}', "invalid JSON: Expecting ',' delimiter at column 9"),
        ('{"a": "x\ty"}', "invalid JSON: Invalid control character at column 9"),
    ],
)
def test_a_line_that_is_not_json_says_what_is_wrong_and_where(line: str, message: str) -> None:
    [(_, error)] = list(parse_lines([line]))
    assert isinstance(error, LineError) and error.message == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", 1_704_067_200_000),
        ("2024-01-01T01:00:00.5+01:00", 1_704_067_200_500),
        ("2024-01-01T00:00:00.123456789Z", 1_704_067_200_123),
    ],
)
def test_event_times_in_any_iso_form_become_epoch_ms(text: str, expected: int) -> None:
    assert parse_time_ms(text) == expected


def test_the_commit_behind_a_written_version_round_trips_on_the_wire() -> None:
    original = report_event(run_id="0190a2b4-0000-7000-8000-00000000000c")
    version = VersionInfo(
        3,
        timestamp_ms=1_700_000_000_000,
        operation="MERGE",
        operation_parameters={"predicate": '["(t.id = s.id)"]'},
        operation_metrics={"numTargetRowsInserted": "2"},
        user_metadata="label:v1.1 dedup",
        engine="Apache-Spark/4.1.0 Delta-Lake/4.0.0",
        user_name="alice",
    )
    written = replace(original, outputs=(replace(original.outputs[0], version=version),))

    wire = json.loads(to_openlineage_json(written))
    parsed = run_event_to_lineage(wire)

    assert wire["outputs"][0]["facets"]["spark_lineage_commit"]["userMetadata"] == (
        "label:v1.1 dedup"
    )
    assert parsed.outputs[0].version == version


def test_column_fingerprints_round_trip_on_the_wire_and_older_events_have_none() -> None:
    original = report_event(run_id="0190a2b4-0000-7000-8000-00000000000d")
    fingerprints = {"customer": "0123456789abcdef", "total": "fedcba9876543210"}
    written = replace(
        original, outputs=(replace(original.outputs[0], column_fingerprints=fingerprints),)
    )

    parsed = run_event_to_lineage(json.loads(to_openlineage_json(written)))

    assert parsed.outputs[0].column_fingerprints == fingerprints
    older = run_event_to_lineage(json.loads(to_openlineage_json(original)))
    assert older.outputs[0].column_fingerprints == {}
