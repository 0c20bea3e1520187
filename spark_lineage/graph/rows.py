"""Pure mapping of a :class:`LineageEvent` to the parameter rows of the graph writes.

Everything that decides *what* goes into the graph lives here, without a driver, so it is unit
tested on plain data; :mod:`spark_lineage.graph.writer` only ships these rows to the named queries
in :mod:`spark_lineage.graph.queries`. All values are parameters: nothing here builds Cypher.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spark_lineage.model import (
    ColumnRef,
    DatasetRef,
    EventType,
    LineageEvent,
    OutputDataset,
    SchemaField,
    Transformation,
    VersionInfo,
)
from spark_lineage.version_labels import label_from_user_metadata, label_key

Row = dict[str, Any]

#: Run status stored on (:Run) for each event type; a terminal status is never overwritten by a
#: late START (events may arrive out of order after a spool replay).
RUN_STATUS = {
    EventType.START: "RUNNING",
    EventType.COMPLETE: "COMPLETE",
    EventType.FAIL: "FAIL",
}


def job_key(namespace: str, name: str) -> str:
    """Graph key of a (:Job): namespace and name, as in OpenLineage."""
    return f"{namespace}::{name}"


def version_key(dataset_key: str, version: int) -> str:
    """Graph key of a (:DatasetVersion)."""
    return f"{dataset_key}@v{version}"


def event_key(event: LineageEvent) -> str:
    """A content digest of the event: the same event delivered twice has the same key.

    Stored on the (:Run) in ``applied_events`` so that a redelivered event is recognised and the
    per-edge run counters are not incremented twice.
    """
    canonical = json.dumps(event.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
    return f"{event.event_type.value}:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


@dataclass(frozen=True, slots=True)
class EventRows:
    """The parameters of every write statement for one event."""

    run: Row
    datasets: list[Row]
    io: list[Row]
    edges: list[Row]
    dataset_edges: list[Row]
    model: Row | None = None
    labels: list[Row] = field(default_factory=list)

    @property
    def edge_count(self) -> int:
        return len(self.edges) + len(self.dataset_edges)


def event_rows(event: LineageEvent) -> EventRows:
    """Map one event to the rows of the run, dataset/column, read/write and edge statements."""
    return EventRows(
        run=_run_row(event),
        datasets=_dataset_rows(event),
        io=_io_rows(event),
        edges=_edge_rows(event),
        dataset_edges=_dataset_edge_rows(event),
        model=_model_row(event),
        labels=_label_rows(event),
    )


def _model_row(event: LineageEvent) -> Row | None:
    """The (:Model) of a model event and the dataset versions it was trained on.

    ``version`` None asks the writer for the next number of that name; ``event_id`` (the event's
    run id) lets a replayed event find the version it was given the first time.
    """
    model = event.model
    if model is None:
        return None
    inputs = []
    for item in event.inputs:
        version = item.version
        exact = version.version if version is not None and version.status == "exact" else None
        inputs.append(
            {
                "dataset_key": item.dataset.key,
                "version_key": None if exact is None else version_key(item.dataset.key, exact),
                "version_status": version.status if version else "unversioned",
                "columns": list(model.trained_columns.get(item.dataset.key, ())) or None,
            }
        )
    return {
        "event_id": event.run_id,
        "name": model.name,
        "version": model.version,
        "uri": model.uri,
        "framework": model.framework,
        "metrics": _json_or_none(model.metrics),
        "params": _json_or_none(model.params),
        "mlflow_run_id": model.mlflow_run_id,
        "mlflow_experiment_id": model.mlflow_experiment_id,
        "registered_name": model.registered_name,
        "registered_version": model.registered_version,
        "origin": model.origin,
        "feature_columns": list(model.feature_columns) or None,
        "save_path": model.save_path,
        "replaces_event_id": model.replaces_event_id,
        "recorded_at": event.event_time_ms,
        "inputs": inputs,
    }


def _run_row(event: LineageEvent) -> Row:
    terminal = event.event_type is not EventType.START
    return {
        "run_id": event.run_id,
        "job_key": job_key(event.job_namespace, event.job_name),
        "job_namespace": event.job_namespace,
        "job_name": event.job_name,
        "status": RUN_STATUS[event.event_type],
        "event_time": event.event_time_ms,
        "started_at": event.started_at_ms or None,
        "ended_at": (event.ended_at_ms or None) if terminal else None,
        "app_id": event.app.app_id or None,
        "app_name": event.app.app_name or None,
        "user": event.app.user or None,
        "master": event.app.master or None,
        "spark_version": event.app.spark_version or None,
        "function_name": event.function_name or None,
        "sql": event.sql,
        "error": event.error,
        "parent_run_id": event.parent_run_id,
        "event_key": event_key(event),
    }


class _DatasetCollector:
    """Datasets and their columns, deduplicated, in first-seen order; typed columns win."""

    def __init__(self) -> None:
        self._datasets: dict[str, DatasetRef] = {}
        self._columns: dict[str, dict[str, str | None]] = {}

    def add_dataset(self, dataset: DatasetRef, schema: Iterable[SchemaField] = ()) -> None:
        known = self._datasets.get(dataset.key)
        richer = bool(dataset.format or dataset.table)
        if known is None or (richer and not (known.format or known.table)):
            self._datasets[dataset.key] = dataset
        columns = self._columns.setdefault(dataset.key, {})
        for schema_field in schema:
            columns[schema_field.name] = schema_field.type or columns.get(schema_field.name)

    def add_column(self, column: ColumnRef) -> None:
        self.add_dataset(column.dataset)
        self._columns[column.dataset.key].setdefault(column.name, None)

    def rows(self) -> list[Row]:
        return [
            {
                "key": key,
                "namespace": dataset.namespace,
                "name": dataset.name,
                "format": dataset.format,
                "table": dataset.table,
                "columns": [
                    {"key": ColumnRef(dataset, name).key, "name": name, "type": type_}
                    for name, type_ in self._columns[key].items()
                ],
            }
            for key, dataset in self._datasets.items()
        ]


def _dataset_rows(event: LineageEvent) -> list[Row]:
    collector = _DatasetCollector()
    for read in event.inputs:
        collector.add_dataset(read.dataset, read.schema)
    for output in event.outputs:
        collector.add_dataset(output.dataset, output.schema)
        for edge in output.edges:
            collector.add_column(edge.source)
            collector.add_column(edge.target)
        for source, _ in output.dataset_dependencies:
            collector.add_column(source)
    return collector.rows()


def _version_fields(dataset_key: str, version: VersionInfo | None) -> Row:
    if version is None:
        return {
            "version": None,
            "version_key": None,
            "version_status": None,
            "candidates": [],
            "timestamp": None,
            "operation": None,
            "operation_parameters": None,
            "operation_metrics": None,
            "user_metadata": None,
            "engine": None,
        }
    number = version.version
    return {
        "version": number,
        "version_key": version_key(dataset_key, number) if number is not None else None,
        "version_status": version.status,
        "candidates": list(version.candidates),
        "timestamp": version.timestamp_ms,
        "operation": version.operation,
        "operation_parameters": _json_or_none(version.operation_parameters),
        "operation_metrics": _json_or_none(version.operation_metrics),
        "user_metadata": version.user_metadata,
        "engine": version.engine,
    }


def _json_or_none(values: Any) -> str | None:
    """Neo4j properties cannot hold maps: keep them as a compact, sorted JSON string."""
    return json.dumps(dict(values), sort_keys=True) if values else None


def version_author(
    version: VersionInfo | None, spark_user: str | None
) -> tuple[str | None, str | None]:
    """Who made a version, and where that came from: Delta's ``userName`` (``'delta'``), else
    the Spark user of the run that wrote it (``'spark'``); ``(None, None)`` when neither is known.

    Open-source Delta often records no ``userName``; ``spark_user`` is only passed for a version
    the event *wrote* (the reader of a version is not its author).
    """
    if version is not None and version.user_name:
        return version.user_name, "delta"
    if spark_user:
        return spark_user, "spark"
    return None, None


def _io_rows(event: LineageEvent) -> list[Row]:
    rows: list[Row] = []
    for read in event.inputs:
        key = read.dataset.key
        user, source = version_author(read.version, None)
        rows.append(
            {"direction": "READ", "dataset_key": key, "mode": None}
            | _version_fields(key, read.version)
            | {"user": user, "user_source": source}
            | _NO_COLUMN_SET  # only a write says how it computed a version's columns
        )
    for output in event.outputs:
        key = output.dataset.key
        user, source = version_author(output.version, event.app.user)
        rows.append(
            {"direction": "WRITE", "dataset_key": key, "mode": output.write_mode}
            | _version_fields(key, output.version)
            | {"user": user, "user_source": source}
            | _column_set(output)
        )
    return rows


_NO_COLUMN_SET: Row = {"columns": None, "column_types": None, "column_fingerprints": None}


def _column_set(output: OutputDataset) -> Row:
    """A written version's columns as three parallel lists (name, Spark type, fingerprint of how
    this write computed it). None where the event does not know: no schema, or an event from
    before fingerprints were recorded (a column without one has ``""``)."""
    if not output.schema:
        return _NO_COLUMN_SET
    fingerprints = output.column_fingerprints
    return {
        "columns": [f.name for f in output.schema],
        "column_types": [f.type for f in output.schema],
        "column_fingerprints": (
            [fingerprints.get(f.name, "") for f in output.schema] if fingerprints else None
        ),
    }


def _label_rows(event: LineageEvent) -> list[Row]:
    """The (:VersionLabel)s that written versions take from their ``userMetadata`` convention
    (:mod:`spark_lineage.version_labels`), labelled at the commit's time by its author."""
    rows: list[Row] = []
    for output in event.outputs:
        version = output.version
        if version is None or version.version is None or version.status != "exact":
            continue
        label = label_from_user_metadata(version.user_metadata)
        if label is None:
            continue
        dataset_key = output.dataset.key
        rows.append(
            {
                "key": label_key(dataset_key, label.name),
                "name": label.name,
                "note": label.note,
                "version_key": version_key(dataset_key, version.version),
                "labelled_at": version.timestamp_ms or event.event_time_ms,
                "labelled_by": version_author(version, event.app.user)[0],
            }
        )
    return rows


def _merge_transformation(
    rows: dict[tuple[str, str, str], Row],
    key: tuple[str, str, str],
    base: Row,
    transformation: Transformation,
) -> None:
    """One row per (source, target, subtype): masking if any occurrence masks."""
    existing = rows.get(key)
    if existing is None:
        rows[key] = base | {
            "type": transformation.type.value,
            "subtype": transformation.subtype.value,
            "masking": transformation.masking,
            "description": transformation.description or None,
        }
    else:
        existing["masking"] = existing["masking"] or transformation.masking
        existing["description"] = existing["description"] or transformation.description or None


def _edge_rows(event: LineageEvent) -> list[Row]:
    rows: dict[tuple[str, str, str], Row] = {}
    for output in event.outputs:
        for edge in output.edges:
            key = (edge.source.key, edge.target.key, edge.transformation.subtype.value)
            base = {"source_key": edge.source.key, "target_key": edge.target.key}
            _merge_transformation(rows, key, base, edge.transformation)
    return list(rows.values())


def _dataset_edge_rows(event: LineageEvent) -> list[Row]:
    rows: dict[tuple[str, str, str], Row] = {}
    for output in event.outputs:
        for source, transformation in output.dataset_dependencies:
            key = (source.key, output.dataset.key, transformation.subtype.value)
            base = {"source_key": source.key, "target_key": output.dataset.key}
            _merge_transformation(rows, key, base, transformation)
    return list(rows.values())
