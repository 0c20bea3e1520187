"""Hand-built LineageEvents for the graph unit tests (no Spark, no Neo4j)."""

from __future__ import annotations

from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    SchemaField,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)

ORDERS = DatasetRef("file", "/lake/orders", "delta", "shop.orders")
CUSTOMERS = DatasetRef("file", "/lake/customers", "delta")
REPORT = DatasetRef("file", "/lake/report", "delta")


def col(dataset: DatasetRef, name: str) -> ColumnRef:
    return ColumnRef(dataset, name)


def edge(
    source: ColumnRef, target: ColumnRef, subtype: str = "IDENTITY", masking: bool = False
) -> ColumnEdge:
    return ColumnEdge(source, target, Transformation(TransformationSubtype(subtype), masking))


def report_event(
    run_id: str = "run-1",
    event_type: EventType = EventType.COMPLETE,
    event_time_ms: int = 1_700_000_000_000,
    report_version: int | None = 3,
) -> LineageEvent:
    """orders JOIN customers -> report(customer, total); filtered on orders.status."""
    edges = (
        edge(col(CUSTOMERS, "email"), col(REPORT, "customer"), "TRANSFORMATION", masking=True),
        edge(col(ORDERS, "amount"), col(REPORT, "total"), "AGGREGATION"),
        edge(col(ORDERS, "customer_id"), col(REPORT, "customer"), "JOIN"),
        edge(col(ORDERS, "customer_id"), col(REPORT, "total"), "JOIN"),
    )
    return LineageEvent(
        run_id=run_id,
        event_type=event_type,
        job_namespace="spark",
        job_name="nightly.report",
        event_time_ms=event_time_ms,
        started_at_ms=event_time_ms - 5_000,
        ended_at_ms=event_time_ms,
        app=AppContext("app-1", "nightly", user="etl"),
        inputs=(
            InputDataset(
                ORDERS,
                (SchemaField("customer_id", "bigint"), SchemaField("amount", "double"),
                 SchemaField("status", "string")),
                VersionInfo(7, timestamp_ms=event_time_ms - 60_000, operation="WRITE"),
            ),
            InputDataset(CUSTOMERS, (SchemaField("id", "bigint"), SchemaField("email", "string"))),
        ),
        outputs=(
            OutputDataset(
                REPORT,
                (SchemaField("customer", "string"), SchemaField("total", "double")),
                edges=edges,
                dataset_dependencies=(
                    (col(ORDERS, "status"), Transformation(TransformationSubtype.FILTER)),
                ),
                write_mode="overwrite",
                version=(
                    VersionInfo(report_version, timestamp_ms=event_time_ms, operation="WRITE",
                                operation_metrics={"numOutputRows": "10"})
                    if report_version is not None
                    else None
                ),
            ),
        ),
        function_name="save",
    )
