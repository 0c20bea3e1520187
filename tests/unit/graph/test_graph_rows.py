"""How one LineageEvent maps to the parameter rows of the graph writes (pure, no Neo4j)."""

from __future__ import annotations

import dataclasses

from graph_builders import CUSTOMERS, ORDERS, REPORT, col, edge, report_event

from spark_lineage.graph.rows import EventRows, event_key, event_rows, job_key, version_key
from spark_lineage.model import EventType, OutputDataset


def test_every_dataset_appears_once_with_its_typed_columns() -> None:
    rows = event_rows(report_event())
    by_key = {row["key"]: row for row in rows.datasets}
    assert list(by_key) == [ORDERS.key, CUSTOMERS.key, REPORT.key]
    assert by_key[ORDERS.key]["table"] == "shop.orders"
    assert by_key[ORDERS.key]["format"] == "delta"
    assert {c["name"]: c["type"] for c in by_key[ORDERS.key]["columns"]} == {
        "customer_id": "bigint",
        "amount": "double",
        "status": "string",
    }
    assert by_key[REPORT.key]["columns"][0]["key"] == col(REPORT, "customer").key


def test_columns_only_known_from_edges_are_created_untyped() -> None:
    event = report_event()
    extra = OutputDataset(REPORT, edges=(edge(col(ORDERS, "note"), col(REPORT, "remark")),))
    event = dataclasses.replace(event, outputs=(*event.outputs, extra))
    by_key = {row["key"]: row for row in event_rows(event).datasets}
    columns = {c["name"]: c["type"] for c in by_key[ORDERS.key]["columns"]}
    assert columns["note"] is None
    assert columns["amount"] == "double"


def test_reads_and_writes_carry_versions_and_version_keys() -> None:
    rows = event_rows(report_event())
    io = {(row["direction"], row["dataset_key"]): row for row in rows.io}
    assert io[("READ", ORDERS.key)]["version"] == 7
    assert io[("READ", ORDERS.key)]["version_key"] == version_key(ORDERS.key, 7)
    assert io[("READ", CUSTOMERS.key)]["version_key"] is None
    write = io[("WRITE", REPORT.key)]
    assert write["version"] == 3
    assert write["mode"] == "overwrite"
    assert write["operation_metrics"] == '{"numOutputRows": "10"}'


def test_an_ambiguous_version_has_candidates_but_no_version_node() -> None:
    from spark_lineage.model import VersionInfo

    event = report_event()
    output = dataclasses.replace(
        event.outputs[0], version=VersionInfo(None, status="ambiguous", candidates=(4, 5))
    )
    rows = event_rows(dataclasses.replace(event, outputs=(output,)))
    write = next(row for row in rows.io if row["direction"] == "WRITE")
    assert write["version_key"] is None
    assert write["version_status"] == "ambiguous"
    assert write["candidates"] == [4, 5]


def test_edges_are_one_row_per_source_target_and_subtype() -> None:
    rows = event_rows(report_event())
    found = sorted((r["source_key"], r["target_key"], r["subtype"], r["type"]) for r in rows.edges)
    assert found == [
        (col(CUSTOMERS, "email").key, col(REPORT, "customer").key, "TRANSFORMATION", "DIRECT"),
        (col(ORDERS, "amount").key, col(REPORT, "total").key, "AGGREGATION", "DIRECT"),
        (col(ORDERS, "customer_id").key, col(REPORT, "customer").key, "JOIN", "INDIRECT"),
        (col(ORDERS, "customer_id").key, col(REPORT, "total").key, "JOIN", "INDIRECT"),
    ]


def test_a_repeated_edge_is_merged_and_masks_if_any_occurrence_masks() -> None:
    event = report_event()
    duplicate = OutputDataset(
        REPORT,
        edges=(edge(col(ORDERS, "amount"), col(REPORT, "total"), "AGGREGATION", masking=True),),
    )
    rows = event_rows(dataclasses.replace(event, outputs=(*event.outputs, duplicate)))
    amount = [r for r in rows.edges if r["source_key"] == col(ORDERS, "amount").key]
    assert len(amount) == 1
    assert amount[0]["masking"] is True


def test_dataset_dependencies_become_column_to_dataset_rows() -> None:
    rows = event_rows(report_event())
    assert rows.dataset_edges == [
        {
            "source_key": col(ORDERS, "status").key,
            "target_key": REPORT.key,
            "type": "INDIRECT",
            "subtype": "FILTER",
            "masking": False,
            "description": None,
        }
    ]


def test_a_start_event_marks_the_run_running_without_an_end_time() -> None:
    run = event_rows(report_event(event_type=EventType.START)).run
    assert run["status"] == "RUNNING"
    assert run["ended_at"] is None
    assert run["job_key"] == job_key("spark", "nightly.report")


def test_the_event_key_identifies_the_content_not_the_object() -> None:
    assert event_key(report_event()) == event_key(report_event())
    assert event_key(report_event()) != event_key(report_event(event_time_ms=1))
    assert event_key(report_event()).startswith("COMPLETE:")


def _with_report_version(**changes: object) -> EventRows:
    from spark_lineage.model import VersionInfo

    event = report_event()
    version = dataclasses.replace(event.outputs[0].version or VersionInfo(3), **changes)
    output = dataclasses.replace(event.outputs[0], version=version)
    return event_rows(dataclasses.replace(event, outputs=(output,)))


def _write_row(rows: EventRows) -> dict[str, object]:
    return next(row for row in rows.io if row["direction"] == "WRITE")


def test_a_written_version_carries_user_metadata_and_engine() -> None:
    write = _write_row(_with_report_version(user_metadata="dedup", engine="Apache-Spark/4.1.0"))
    assert (write["user_metadata"], write["engine"]) == ("dedup", "Apache-Spark/4.1.0")


def test_the_author_is_deltas_user_name_else_the_spark_user_of_the_writing_run() -> None:
    named = _write_row(_with_report_version(user_name="alice"))
    assert (named["user"], named["user_source"]) == ("alice", "delta")
    unnamed = _write_row(_with_report_version())
    assert (unnamed["user"], unnamed["user_source"]) == ("etl", "spark")


def test_a_read_version_never_takes_the_readers_spark_user_as_its_author() -> None:
    read = next(row for row in event_rows(report_event()).io if row["direction"] == "READ")
    assert (read["user"], read["user_source"]) == (None, None)


def test_a_user_metadata_label_becomes_a_label_row_of_the_written_version() -> None:
    rows = _with_report_version(user_metadata="label:v1.1 dedup + fill gaps", user_name="alice")
    assert rows.labels == [
        {
            "key": f"{REPORT.key}#v1.1",
            "name": "v1.1",
            "note": "dedup + fill gaps",
            "version_key": version_key(REPORT.key, 3),
            "labelled_at": report_event().outputs[0].version.timestamp_ms,  # type: ignore[union-attr]
            "labelled_by": "alice",
        }
    ]
    assert _with_report_version(user_metadata="dedup + fill gaps").labels == []


def test_a_written_version_carries_its_column_set_with_types_and_fingerprints() -> None:
    event = report_event()
    output = dataclasses.replace(
        event.outputs[0], column_fingerprints={"customer": "aa" * 8, "total": "bb" * 8}
    )
    write = _write_row(event_rows(dataclasses.replace(event, outputs=(output,))))
    assert write["columns"] == ["customer", "total"]
    assert write["column_types"] == ["string", "double"]
    assert write["column_fingerprints"] == ["aa" * 8, "bb" * 8]


def test_a_read_version_and_an_event_without_fingerprints_set_no_fingerprints() -> None:
    rows = event_rows(report_event())
    read = next(row for row in rows.io if row["direction"] == "READ")
    assert (read["columns"], read["column_fingerprints"]) == (None, None)
    write = _write_row(rows)
    assert write["columns"] == ["customer", "total"]
    assert write["column_fingerprints"] is None  # recorded before fingerprints existed


def test_a_model_without_a_version_leaves_its_number_to_the_writer_keyed_on_the_event() -> None:
    from spark_lineage.model import ModelInfo

    model = ModelInfo(
        "churn",
        None,
        origin="fit_save",
        feature_columns=("amount",),
        trained_columns={ORDERS.key: ("amount",)},
        save_path="/models/churn",
    )
    event = dataclasses.replace(report_event(run_id="run-9"), outputs=(), model=model)

    row = event_rows(event).model

    assert row is not None
    assert row["version"] is None
    assert row["event_id"] == "run-9"
    assert (row["origin"], row["feature_columns"], row["save_path"]) == (
        "fit_save",
        ["amount"],
        "/models/churn",
    )
    assert [(i["dataset_key"], i["version_key"], i["columns"]) for i in row["inputs"]] == [
        (ORDERS.key, version_key(ORDERS.key, 7), ["amount"]),
        (CUSTOMERS.key, None, None),
    ]


def test_a_model_event_survives_the_round_trip_through_the_spool_format() -> None:
    from spark_lineage.model import LineageEvent, ModelInfo

    model = ModelInfo("churn", None, origin="fit_save", trained_columns={ORDERS.key: ("a",)})
    event = dataclasses.replace(report_event(), model=model)

    assert LineageEvent.from_dict(event.to_dict()) == event
