"""Load OpenLineage RunEvents (JSON lines) into the lineage graph.

Reads ours (``spark_lineage.events`` wire format, with its custom ``spark_applicationDetails`` and
``spark_lineage_query`` run facets) and any other producer's, notably the OpenLineage Spark
agent's: ``columnLineage`` with per-input ``transformations`` (OpenLineage >= 1.x) or the older
``transformationType``/``transformationDescription`` per field, ``symlinks`` for table names,
``storage`` for the format, ``version`` for the dataset version (and our ``spark_lineage_commit``
for the commit behind it, ``spark_lineage_columnFingerprints`` for the written columns). What the
facets do not say is left empty rather than guessed.

A malformed line does not stop the load: it is reported with its line number and the valid lines
are loaded (:class:`LoadReport`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.graph.writer import GraphWriter
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
    TransformationType,
    VersionInfo,
)
from spark_lineage.textui.progress import ProgressCallback

#: Makes the context each single write runs in (the CLI's defers Ctrl-C to its end).
Shield = Callable[[], AbstractContextManager[None]]

#: OpenLineage run states mapped onto ours (RUNNING/OTHER are progress: the run is not over).
_EVENT_TYPES = {
    "START": EventType.START,
    "RUNNING": EventType.START,
    "OTHER": EventType.START,
    "COMPLETE": EventType.COMPLETE,
    "FAIL": EventType.FAIL,
    "ABORT": EventType.FAIL,
}

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


class EventFormatError(ValueError):
    """A JSON object that is not a usable RunEvent (the message says which field)."""


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that could not be loaded, and why."""

    line_no: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line_no}: {self.message}"


@dataclass(slots=True)
class LoadReport:
    """Outcome of loading a file: events written, lines skipped with reasons."""

    path: Path
    loaded: int = 0
    already_present: int = 0
    column_edges: int = 0
    errors: list[LineError] = field(default_factory=list)
    skipped_blank: int = 0


def parse_time_ms(value: Any) -> int:
    """Epoch milliseconds from an OpenLineage ISO-8601 time (any fraction length, Z or offset)."""
    if not isinstance(value, str):
        raise EventFormatError(f"eventTime must be an ISO-8601 string, got {value!r}")
    text = _FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise EventFormatError(f"eventTime {value!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise EventFormatError(f"eventTime {value!r} has no time zone")
    return int(moment.timestamp() * 1000)


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, LineageEvent | LineError]]:
    """Each non-blank line as (line number, event) or (line number, error); blank lines skipped."""
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            what = exc.msg.removesuffix(" at")  # "Unterminated string starting at"
            yield line_no, LineError(line_no, f"invalid JSON: {what} at column {exc.colno}")
            continue
        try:
            yield line_no, run_event_to_lineage(data)
        except EventFormatError as exc:
            yield line_no, LineError(line_no, str(exc))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # a value of the wrong type somewhere the checks above do not look: still one bad line
            yield line_no, LineError(line_no, f"malformed RunEvent ({type(exc).__name__}: {exc})")


def run_event_to_lineage(data: Any) -> LineageEvent:
    """One OpenLineage RunEvent (as parsed JSON) as a LineageEvent."""
    if not isinstance(data, Mapping):
        raise EventFormatError("a RunEvent must be a JSON object")
    raw_type = str(data.get("eventType") or "COMPLETE").upper()
    if raw_type not in _EVENT_TYPES:
        raise EventFormatError(f"unknown eventType {raw_type!r}")
    event_type = _EVENT_TYPES[raw_type]
    run = _mapping(data, "run", required=True)
    job = _mapping(data, "job", required=True)
    run_id = run.get("runId")
    if not isinstance(run_id, str) or not run_id:
        raise EventFormatError("run.runId is missing")
    job_namespace, job_name = job.get("namespace"), job.get("name")
    if not isinstance(job_namespace, str) or not isinstance(job_name, str) or not job_name:
        raise EventFormatError("job.namespace and job.name are required strings")
    event_time = parse_time_ms(data.get("eventTime"))
    run_facets = _mapping(run, "facets")
    job_facets = _mapping(job, "facets")
    started, ended = _run_times(event_type, event_time, run_facets)
    return LineageEvent(
        run_id=run_id,
        event_type=event_type,
        job_namespace=job_namespace,
        job_name=job_name,
        event_time_ms=event_time,
        started_at_ms=started,
        ended_at_ms=ended,
        app=_app(run_facets),
        inputs=tuple(_input(item) for item in _list(data, "inputs")),
        outputs=tuple(_output(item) for item in _list(data, "outputs")),
        function_name=str(_mapping(run_facets, "spark_lineage_query").get("functionName") or ""),
        sql=_mapping(job_facets, "sql").get("query"),
        error=_error(run_facets),
        warnings=tuple(_mapping(run_facets, "spark_lineage_query").get("warnings") or ()),
        parent_run_id=_mapping(_mapping(run_facets, "parent"), "run").get("runId"),
    )


def _mapping(data: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise EventFormatError(f"{key} is missing")
        return {}
    if not isinstance(value, Mapping):
        raise EventFormatError(f"{key} must be an object")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise EventFormatError(f"{key} must be a list of objects")
    return value


def _run_times(
    event_type: EventType, event_time: int, facets: Mapping[str, Any]
) -> tuple[int, int]:
    duration = _mapping(facets, "spark_lineage_query").get("durationMs")
    if event_type is EventType.START:
        return event_time, event_time
    if isinstance(duration, int) and duration >= 0:
        return event_time - duration, event_time
    return 0, event_time


def _app(facets: Mapping[str, Any]) -> AppContext:
    details = _mapping(facets, "spark_applicationDetails")
    engine = _mapping(facets, "processing_engine")
    return AppContext(
        app_id=str(details.get("applicationId") or ""),
        app_name=str(details.get("appName") or ""),
        user=str(details.get("sparkUser") or ""),
        master=str(details.get("master") or ""),
        spark_version=str(engine.get("version") or ""),
    )


def _error(facets: Mapping[str, Any]) -> str | None:
    error = _mapping(facets, "errorMessage")
    if not error:
        return None
    message = str(error.get("message") or "")
    stack = error.get("stackTrace")
    return f"{message}\n{stack}" if stack else message


def _dataset(item: Mapping[str, Any]) -> DatasetRef:
    namespace, name = item.get("namespace"), item.get("name")
    if not isinstance(namespace, str) or not isinstance(name, str) or not name:
        raise EventFormatError("every dataset needs a namespace and a name")
    facets = _mapping(item, "facets")
    table = None
    for identifier in _mapping(facets, "symlinks").get("identifiers") or []:
        if isinstance(identifier, Mapping) and identifier.get("type") == "TABLE":
            table = str(identifier.get("name"))
            break
    storage = _mapping(facets, "storage")
    layer = storage.get("storageLayer") or storage.get("fileFormat")
    return DatasetRef(namespace, name, str(layer) if layer else None, table)


def _schema(item: Mapping[str, Any]) -> tuple[SchemaField, ...]:
    fields = _mapping(_mapping(item, "facets"), "schema").get("fields") or []
    return tuple(
        SchemaField(str(f["name"]), str(f.get("type") or ""))
        for f in fields
        if isinstance(f, Mapping) and f.get("name")
    )


def _version(item: Mapping[str, Any]) -> VersionInfo | None:
    facets = _mapping(item, "facets")
    raw = _mapping(facets, "version").get("datasetVersion")
    if raw is None:
        return None
    text = str(raw).strip()
    if text.isdigit():
        start = _mapping(facets, "spark_lineage_versionRange").get("startingVersion")
        commit = _mapping(facets, "spark_lineage_commit")
        timestamp = commit.get("timestamp")
        return VersionInfo(
            version=int(text),
            starting_version=start if isinstance(start, int) else None,
            timestamp_ms=timestamp if type(timestamp) is int else None,
            operation=_text(commit.get("operation")),
            operation_parameters=_text_map(commit.get("operationParameters")),
            operation_metrics=_text_map(commit.get("operationMetrics")),
            user_metadata=_text(commit.get("userMetadata")),
            engine=_text(commit.get("engineInfo")),
            user_name=_text(commit.get("userName")),
        )
    return VersionInfo(version=None, status="unknown", operation_parameters={"raw": text})


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _input(item: Mapping[str, Any]) -> InputDataset:
    return InputDataset(dataset=_dataset(item), schema=_schema(item), version=_version(item))


def _output(item: Mapping[str, Any]) -> OutputDataset:
    target = _dataset(item)
    lineage = _mapping(_mapping(item, "facets"), "columnLineage")
    edges: list[ColumnEdge] = []
    fields = lineage.get("fields") or {}
    if not isinstance(fields, Mapping):
        raise EventFormatError("columnLineage.fields must be an object")
    for target_name, spec in fields.items():
        if not isinstance(spec, Mapping):
            raise EventFormatError(f"columnLineage.fields.{target_name} must be an object")
        for source, transformation in _input_fields(spec.get("inputFields"), spec):
            edges.append(ColumnEdge(source, ColumnRef(target, str(target_name)), transformation))
    dependencies = tuple(_input_fields(lineage.get("dataset"), {}))
    return OutputDataset(
        dataset=target,
        schema=_schema(item),
        edges=tuple(edges),
        dataset_dependencies=dependencies,
        version=_version(item),
        column_fingerprints=_fingerprints(item),
    )


def _fingerprints(item: Mapping[str, Any]) -> dict[str, str]:
    facet = _mapping(_mapping(item, "facets"), "spark_lineage_columnFingerprints")
    return _text_map(facet.get("fingerprints"))


def _input_fields(
    raw: Any, legacy: Mapping[str, Any]
) -> Iterator[tuple[ColumnRef, Transformation]]:
    """(source column, transformation) pairs; one pair per transformation of each input field."""
    if raw is None:
        return
    if not isinstance(raw, list):
        raise EventFormatError("columnLineage inputFields must be a list")
    for field_ in raw:
        if not isinstance(field_, Mapping) or not field_.get("field"):
            raise EventFormatError("every columnLineage input field needs namespace, name, field")
        source = ColumnRef(_dataset(field_), str(field_["field"]))
        transformations = field_.get("transformations")
        if transformations:
            for item in transformations:
                yield source, _transformation(item)
        else:
            yield source, _legacy_transformation(legacy)


def _transformation(item: Any) -> Transformation:
    if not isinstance(item, Mapping):
        raise EventFormatError("a transformation must be an object")
    kind = str(item.get("type") or "DIRECT").upper()
    subtype = str(item.get("subtype") or "").upper()
    try:
        parsed = TransformationSubtype(subtype)
    except ValueError:
        # Unknown subtype from another producer: keep its direction, the most general subtype.
        parsed = (
            TransformationSubtype.TRANSFORMATION
            if kind == TransformationType.DIRECT.value
            else TransformationSubtype.CONDITIONAL
        )
    return Transformation(
        subtype=parsed,
        masking=bool(item.get("masking", False)),
        description=str(item.get("description") or ""),
    )


def _legacy_transformation(spec: Mapping[str, Any]) -> Transformation:
    """Pre-1.x column lineage: one free-text type per output field (IDENTITY or something else)."""
    kind = str(spec.get("transformationType") or "").upper()
    subtype = TransformationSubtype.TRANSFORMATION
    if kind == "IDENTITY":
        subtype = TransformationSubtype.IDENTITY
    return Transformation(subtype, description=str(spec.get("transformationDescription") or ""))


def load_file(
    writer: GraphWriter,
    path: Path,
    report: LoadReport | None = None,
    progress: ProgressCallback | None = None,
    shield: Shield = nullcontext,
) -> LoadReport:
    """Write every valid event of a JSON-lines file in file order; collect the bad lines."""
    result = report or LoadReport(path)
    size = path.stat().st_size
    with path.open(encoding="utf-8", errors="replace") as handle:
        return load_stream(writer, handle, result, size=size, progress=progress, shield=shield)


def load_stream(
    writer: GraphWriter,
    handle: TextIO,
    report: LoadReport,
    *,
    size: int | None = None,
    progress: ProgressCallback | None = None,
    shield: Shield = nullcontext,
) -> LoadReport:
    """Write every valid event of an open JSON-lines stream (``size`` bytes, when known);
    ``progress`` hears (lines done, fraction of the bytes read) after every line, and each
    write runs inside ``shield()`` (the CLI defers Ctrl-C there, see textui/interrupt.py)."""
    for _, parsed in parse_lines(handle):
        if isinstance(parsed, LineError):
            report.errors.append(parsed)
        else:
            with shield():  # counted inside, so an interrupted report matches the graph
                outcome = writer.write(parsed)
                report.loaded += 1
                report.already_present += 1 if outcome.already_applied else 0
                report.column_edges += outcome.column_edges
        if progress is not None:
            progress(report.loaded + len(report.errors), _fraction_read(handle, size))
    return report


def _fraction_read(handle: TextIO, size: int | None) -> float | None:
    """How much of the file the reader has consumed (to its read-ahead buffer), if known."""
    if not size:
        return None
    try:
        return min(1.0, handle.buffer.tell() / size)
    except (AttributeError, OSError, ValueError):  # not seekable after all
        return None


def load_openlineage_file(
    settings: Neo4jSettings,
    path: Path,
    report: LoadReport | None = None,
    progress: ProgressCallback | None = None,
    shield: Shield = nullcontext,
) -> LoadReport:
    """``spark-lineage load``: load one OpenLineage JSON-lines file into the graph.

    ``report`` is filled as the load goes, so a caller interrupted part-way knows what is in.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist or is not a file")
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, settings.database)
        return load_file(writer, path, report, progress, shield)


def load_openlineage_stream(
    settings: Neo4jSettings,
    handle: TextIO,
    report: LoadReport,
    progress: ProgressCallback | None = None,
    shield: Shield = nullcontext,
) -> LoadReport:
    """``spark-lineage load -``: load JSON lines from an open stream (standard input)."""
    with open_driver(settings) as driver:
        writer = GraphWriter(driver, settings.database)
        return load_stream(writer, handle, report, progress=progress, shield=shield)
