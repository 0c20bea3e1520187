"""LineageEvent building and its OpenLineage RunEvent wire format."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from openlineage.client import event_v2

from spark_lineage.events import (
    QueryOutcome,
    build_event,
    to_openlineage,
    to_openlineage_json,
)
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    QueryLineage,
    SchemaField,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)

APP = AppContext("app-20260101-0001", "Nightly Orders", "etl", "local[2]", "4.1.4")
ORDERS = DatasetRef("file", "/data/orders", "delta")
TOTALS = DatasetRef("file", "/data/totals", "delta", table="sales.totals")


def edge(
    source: str, target: str, subtype: TransformationSubtype, masking: bool = False
) -> ColumnEdge:
    return ColumnEdge(
        ColumnRef(ORDERS, source), ColumnRef(TOTALS, target), Transformation(subtype, masking)
    )


LINEAGE = QueryLineage(
    inputs=(
        InputDataset(
            ORDERS,
            (SchemaField("customer", "string"), SchemaField("amount", "double")),
            VersionInfo(4),
        ),
    ),
    outputs=(
        OutputDataset(
            TOTALS,
            schema=(SchemaField("customer_hash", "string"), SchemaField("total", "double")),
            edges=(
                edge("customer", "customer_hash", TransformationSubtype.TRANSFORMATION, True),
                edge("amount", "total", TransformationSubtype.AGGREGATION),
                edge("customer", "total", TransformationSubtype.GROUP_BY),
            ),
            dataset_dependencies=(
                (ColumnRef(ORDERS, "amount"), Transformation(TransformationSubtype.FILTER)),
            ),
            write_mode="overwrite",
            version=VersionInfo(7, operation="WRITE", operation_metrics={"numOutputRows": "42"}),
        ),
    ),
)


SAVE = QueryOutcome("save", started_at_ms=1_700_000_000_000, ended_at_ms=1_700_000_001_500)


def make(outcome: QueryOutcome = SAVE, lineage: QueryLineage = LINEAGE) -> LineageEvent:
    return build_event(
        outcome,
        APP,
        lineage,
        namespace="prod",
        parent_run_id="0192f0c8-0000-7000-8000-00000000aaaa",
    )


def test_job_is_the_application_and_the_written_table_whatever_the_write_function() -> None:
    saved = make()
    inserted = make(QueryOutcome("insertInto", 1, 2))
    assert saved.job_name == inserted.job_name == "nightly_orders.sales.totals"
    assert saved.application == "nightly_orders"


def test_job_name_is_stable_and_run_ids_are_fresh_uuids() -> None:
    first, second = make(), make()
    assert first.job_name == second.job_name
    assert first.run_id != second.run_id
    assert uuid.UUID(first.run_id)


def test_event_carries_app_timing_and_datasets() -> None:
    event = make()
    assert event.event_type is EventType.COMPLETE
    assert (event.started_at_ms, event.ended_at_ms) == (1_700_000_000_000, 1_700_000_001_500)
    assert event.app.app_id == "app-20260101-0001"
    assert [o.dataset for o in event.outputs] == [TOTALS]


def test_a_failed_query_is_a_fail_event_with_its_error() -> None:
    failed = QueryOutcome("collect", 1, 2, error="AnalysisException: no col", error_stack="at x")
    event = make(failed)
    wire = json.loads(to_openlineage_json(event))

    assert event.event_type is EventType.FAIL
    assert wire["eventType"] == "FAIL"
    assert wire["run"]["facets"]["errorMessage"]["message"] == "AnalysisException: no col"
    assert wire["run"]["facets"]["errorMessage"]["stackTrace"] == "at x"


def test_openlineage_event_has_the_spec_fields() -> None:
    wire = json.loads(to_openlineage_json(make()))

    assert wire["eventTime"] == "2023-11-14T22:13:21.500+00:00"
    assert wire["schemaURL"].startswith("https://openlineage.io/spec/2-0-2/OpenLineage.json")
    assert wire["producer"].startswith("https://")
    assert wire["job"] == {
        "namespace": "prod",
        "name": "nightly_orders.sales.totals",
        "facets": wire["job"]["facets"],
    }
    assert wire["job"]["facets"]["jobType"]["integration"] == "SPARK"
    run_facets = wire["run"]["facets"]
    assert run_facets["processing_engine"]["version"] == "4.1.4"
    assert run_facets["spark_applicationDetails"]["applicationId"] == "app-20260101-0001"
    assert run_facets["parent"]["run"]["runId"] == "0192f0c8-0000-7000-8000-00000000aaaa"
    assert all("_producer" in f and "_schemaURL" in f for f in run_facets.values())


def test_column_lineage_facet_groups_sources_per_target() -> None:
    wire = json.loads(to_openlineage_json(make()))
    (output,) = wire["outputs"]
    facet = output["facets"]["columnLineage"]

    total = facet["fields"]["total"]["inputFields"]
    assert [(f["name"], f["field"]) for f in total] == [
        ("/data/orders", "amount"),
        ("/data/orders", "customer"),
    ]
    assert total[0]["transformations"] == [
        {"type": "DIRECT", "subtype": "AGGREGATION", "masking": False}
    ]
    masked = facet["fields"]["customer_hash"]["inputFields"][0]["transformations"][0]
    assert masked == {"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": True}
    assert facet["dataset"] == [
        {
            "namespace": "file",
            "name": "/data/orders",
            "field": "amount",
            "transformations": [{"type": "INDIRECT", "subtype": "FILTER", "masking": False}],
        }
    ]


def test_versions_schema_table_and_statistics_become_dataset_facets() -> None:
    wire = json.loads(to_openlineage_json(make()))
    (read,) = wire["inputs"]
    (written,) = wire["outputs"]

    assert read["facets"]["version"]["datasetVersion"] == "4"
    assert [f["name"] for f in read["facets"]["schema"]["fields"]] == ["customer", "amount"]
    assert written["facets"]["version"]["datasetVersion"] == "7"
    assert written["facets"]["symlinks"]["identifiers"] == [
        {"namespace": "file", "name": "sales.totals", "type": "TABLE"}
    ]
    assert written["facets"]["storage"] == {
        "_producer": written["facets"]["storage"]["_producer"],
        "_schemaURL": written["facets"]["storage"]["_schemaURL"],
        "storageLayer": "delta",
        "fileFormat": "parquet",
    }
    assert written["outputFacets"]["outputStatistics"]["rowCount"] == 42


def test_sql_text_becomes_the_sql_job_facet() -> None:
    event = make(QueryOutcome("command", 1, 2, sql="INSERT INTO t SELECT 1"))
    wire = json.loads(to_openlineage_json(event))
    assert wire["job"]["facets"]["sql"]["query"] == "INSERT INTO t SELECT 1"


def test_wire_event_is_an_openlineage_client_run_event() -> None:
    run_event = to_openlineage(make())
    assert isinstance(run_event, event_v2.RunEvent)
    assert "\n" not in to_openlineage_json(make())


def test_lineage_event_round_trips_through_its_dict_form() -> None:
    event = make()
    assert LineageEvent.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_commit_facts_and_fingerprints_round_trip_and_older_events_keep_their_dict_form() -> None:
    from dataclasses import replace

    from spark_lineage.model import VersionInfo

    event = make()
    older = event.to_dict()
    version = VersionInfo(4, user_metadata="label:v1 x", engine="Apache-Spark", user_name="bo")
    output = replace(event.outputs[0], version=version, column_fingerprints={"a": "0" * 16})
    richer = replace(event, outputs=(output,))

    assert LineageEvent.from_dict(json.loads(json.dumps(richer.to_dict()))) == richer
    assert LineageEvent.from_dict(older) == event  # a spooled event from before reads the same
    assert "column_fingerprints" not in older["outputs"][0]  # ... and keeps its digest


def _facets_of(wire: dict[str, Any]) -> list[dict[str, Any]]:
    facet_maps = [wire["run"]["facets"], wire["job"]["facets"]]
    for dataset in wire["inputs"] + wire["outputs"]:
        facet_maps.append(dataset.get("facets", {}))
        facet_maps.append(dataset.get("inputFacets", {}))
        facet_maps.append(dataset.get("outputFacets", {}))
    return [facet for facets in facet_maps for facet in facets.values()]


def test_event_meets_the_spec_required_fields_and_formats() -> None:
    failed = QueryOutcome("save", 1_000, 2_000, error="boom", sql="SELECT 1")
    wire = json.loads(to_openlineage_json(make(failed)))

    assert datetime.fromisoformat(wire["eventTime"]).tzinfo is not None
    assert uuid.UUID(wire["run"]["runId"])
    assert wire["eventType"] in {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}
    for required in ("namespace", "name"):
        assert wire["job"][required]
        assert all(d[required] for d in wire["inputs"] + wire["outputs"])
    facets = _facets_of(wire)
    assert len(facets) >= 12
    for facet in facets:
        assert facet["_producer"].startswith("https://")
        assert facet["_schemaURL"].startswith("https://")


def test_a_recorded_model_travels_as_a_custom_run_facet() -> None:
    from dataclasses import replace

    from spark_lineage.model import ModelInfo

    model = ModelInfo("churn", "3", uri="s3://models/churn/3", metrics={"auc": 0.91})
    wire = json.loads(to_openlineage_json(replace(make(), model=model)))

    facet = wire["run"]["facets"]["spark_lineage_model"]
    assert (facet["name"], facet["version"], facet["metrics"]) == ("churn", "3", {"auc": 0.91})
    assert facet["uri"] == "s3://models/churn/3"


def test_every_written_column_is_in_the_column_lineage_facet_even_with_no_direct_input() -> None:
    counted = OutputDataset(
        TOTALS,
        schema=(SchemaField("customer", "string"), SchemaField("n", "bigint"),
                SchemaField("day", "string")),  # count(*) AS n; a static partition value
        edges=(ColumnEdge(ColumnRef(ORDERS, "customer"), ColumnRef(TOTALS, "customer"),
                          Transformation(TransformationSubtype.IDENTITY)),),
        dataset_dependencies=(
            (ColumnRef(ORDERS, "customer"), Transformation(TransformationSubtype.GROUP_BY)),
        ),
    )
    wire = json.loads(to_openlineage_json(make(lineage=QueryLineage(outputs=(counted,)))))

    facet = wire["outputs"][0]["facets"]["columnLineage"]
    assert set(facet["fields"]) == {"customer", "n", "day"}
    assert facet["fields"]["n"]["inputFields"] == [] == facet["fields"]["day"]["inputFields"]
    assert [f["field"] for f in facet["dataset"]] == ["customer"]  # what decides n's rows
