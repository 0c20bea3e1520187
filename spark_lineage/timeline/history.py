"""``spark-lineage history <table or model:name>``: the ``git log`` of data.

One entry per version, newest first: when, who, the operation (with Delta's row and file counts),
its labels and notes, and the run and job that wrote it. For a model: when it was recorded, the
exact dataset versions it was trained on, and its MLflow run. "Who" is the user Delta recorded
for the commit, else the Spark user of the run that wrote it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from spark_lineage.names import location
from spark_lineage.names.versions import MODEL_PREFIX, resolve_version
from spark_lineage.textui.table import render_table
from spark_lineage.timeline.queries import (
    DATASET_HISTORY,
    DATASET_VERSION_COUNT,
    MODEL_HISTORY,
    MODEL_VERSION_COUNT,
)
from spark_lineage.version_labels import label_from_user_metadata

if TYPE_CHECKING:
    import neo4j

#: How many versions ``history`` prints unless ``--limit`` says otherwise.
DEFAULT_LIMIT = 50
#: Delta's operation metrics shown in the table, in this order, with their short names.
SHOWN_METRICS = (
    ("numOutputRows", "rows"),
    ("numTargetRowsInserted", "inserted"),
    ("numTargetRowsUpdated", "updated"),
    ("numTargetRowsDeleted", "deleted"),
    ("numDeletedRows", "deleted"),
    ("numUpdatedRows", "updated"),
    ("numFiles", "files"),
    ("numAddedFiles", "+files"),
    ("numRemovedFiles", "-files"),
)


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One version of the target, as ``history`` shows it."""

    version: str
    timestamp_ms: int | None
    operation: str | None
    user: str | None
    labels: tuple[Label, ...] = ()
    description: str | None = None  # Delta's userMetadata
    metrics: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)
    engine: str | None = None
    run_id: str | None = None
    job_name: str | None = None
    app_name: str | None = None
    trained_on: tuple[str, ...] = ()
    mlflow_run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "timestamp": iso_time(self.timestamp_ms),
            "operation": self.operation,
            "user": self.user,
            "labels": [{"name": label.name, "note": label.note} for label in self.labels],
            "description": self.description,
            "operation_metrics": dict(self.metrics),
            "operation_parameters": dict(self.parameters),
            "engine": self.engine,
            "run_id": self.run_id,
            "job": self.job_name,
            "application": self.app_name,
            "trained_on": list(self.trained_on),
            "mlflow_run_id": self.mlflow_run_id,
        }


@dataclass(frozen=True, slots=True)
class History:
    """The newest versions of ``target`` (a dataset key or ``model:<name>``) and how many
    versions it has in all."""

    target: str
    entries: tuple[HistoryEntry, ...]
    total: int

    @property
    def is_model(self) -> bool:
        return self.target.startswith(MODEL_PREFIX)


def history(session: neo4j.Session, text: str, limit: int = DEFAULT_LIMIT) -> History:
    """The history of the dataset or model ``text`` names (a version part is ignored)."""
    target = resolve_version(session, text).target
    if target.startswith(MODEL_PREFIX):
        name = target.removeprefix(MODEL_PREFIX)
        rows = session.run(MODEL_HISTORY.text, name=name, limit=limit)
        entries = tuple(_model_entry(dict(row)) for row in rows)
        total = session.run(MODEL_VERSION_COUNT.text, name=name).single(strict=True)["n"]
    else:
        rows = session.run(DATASET_HISTORY.text, dataset_key=target, limit=limit)
        entries = tuple(dataset_entry(dict(row)) for row in rows)
        total = session.run(DATASET_VERSION_COUNT.text, dataset_key=target).single(strict=True)["n"]
    return History(target, entries, int(total))


def dataset_entry(row: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        version=str(row["version"]),
        timestamp_ms=row["timestamp"],
        operation=row["operation"],
        user=row["user"],
        labels=_labels(row["labels"]),
        description=row["user_metadata"],
        metrics=json_map(row["operation_metrics"]),
        parameters=json_map(row["operation_parameters"]),
        engine=row["engine"],
        run_id=row["run_id"],
        job_name=row["job_name"],
        app_name=row["app_name"],
    )


def _model_entry(row: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        version=str(row["version"]),
        timestamp_ms=row["timestamp"],
        operation="TRAIN",
        user=row["user"],
        labels=_labels(row["labels"]),
        run_id=row["run_id"],
        job_name=row["job_name"],
        app_name=row["app_name"],
        trained_on=tuple(f"{spelling(i)}@{i['version']}" for i in row["inputs"]),
        mlflow_run_id=row["mlflow_run_id"],
    )


def _labels(rows: Sequence[Mapping[str, Any]]) -> tuple[Label, ...]:
    return tuple(Label(str(r["name"]), r["note"]) for r in rows)


def spelling(row: Mapping[str, Any]) -> str:
    """How a person names a dataset: its table name, else its path or URI."""
    return str(row["table"] or location(str(row["namespace"] or ""), str(row["name"] or "")))


def json_map(text: str | None) -> dict[str, str]:
    """A stored JSON object of strings (Delta's metrics and parameters); {} when absent."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def iso_time(ms: int | None) -> str | None:
    """``2026-12-03T07:45:12Z`` for epoch milliseconds."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- output ---------------------------------------------------------------------------------------


def format_history(result: History, fmt: str, width: int | None = None) -> str:
    """``table`` (one line per version) or ``json`` (every field)."""
    if fmt == "json":
        return (
            json.dumps(
                {
                    "target": result.target,
                    "total": result.total,
                    "versions": [entry.to_dict() for entry in result.entries],
                },
                indent=2,
            )
            + "\n"
        )
    if not result.entries:
        return f"{result.target}: no versions recorded\n"
    what = "trained on" if result.is_model else "changes"
    headers = ("version", "when (UTC)", "who", "operation", what, "labels / note", "run")
    rows = [
        (
            entry.version,
            (iso_time(entry.timestamp_ms) or "").replace("T", " ").removesuffix("Z"),
            entry.user or "",
            entry.operation or "",
            ", ".join(entry.trained_on) if result.is_model else metrics_text(entry.metrics),
            notes_text(entry),
            entry.run_id or "",
        )
        for entry in result.entries
    ]
    text = f"{result.target}\n" + render_table(headers, rows, width)
    hidden = result.total - len(result.entries)
    if hidden > 0:
        text += f"({len(result.entries)} newest of {result.total} versions; --limit 0 shows all)\n"
    return text


def metrics_text(metrics: Mapping[str, str]) -> str:
    """``rows 120, +files 2``: the row and file counts of a commit, in a fixed order."""
    shown: list[str] = []
    for key, short in SHOWN_METRICS:
        value = metrics.get(key)
        if value is not None and not any(s.startswith(f"{short} ") for s in shown):
            shown.append(f"{short} {value}")
    return ", ".join(shown)


def notes_text(entry: HistoryEntry) -> str:
    """``v1.1 (dedup + fill gaps)``, then Delta's own description when it says more."""
    parts = [f"{label.name} ({label.note})" if label.note else label.name for label in entry.labels]
    if entry.description and not _said_by_labels(entry.description, entry.labels):
        parts.append(entry.description)
    return "; ".join(parts)


def _said_by_labels(description: str, labels: Sequence[Label]) -> bool:
    """True when the labels already say all ``description`` says: it is one label's note, or
    it is the ``label:<name> <note>`` text that gave a label still on the version with that
    note (a label since moved away or re-noted leaves the description saying more)."""
    if any(description == label.note for label in labels):
        return True
    given = label_from_user_metadata(description)
    return given is not None and Label(given.name, given.note) in labels
