"""The plain data every layer exchanges: datasets, columns, versions, edges, captured plans, events.

Frozen, slotted dataclasses with no import of pyspark, py4j or neo4j, so that the lineage engine,
the sinks and the CLI can be used and tested without a JVM. Every class converts to and from plain
JSON-compatible dicts (``to_dict`` / ``from_dict``) so that events survive the spool and fixtures.

Vocabulary follows OpenLineage (https://openlineage.io/docs/spec/facets/dataset-facets/column_lineage_facet):
DIRECT (IDENTITY, TRANSFORMATION, AGGREGATION) and INDIRECT (JOIN, FILTER, GROUP_BY, SORT, WINDOW,
CONDITIONAL), plus a ``masking`` flag when the value passes through a hash or mask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonDict = dict[str, Any]


class TransformationType(StrEnum):
    """Whether the output value is computed from the input (DIRECT) or only steered by it."""

    DIRECT = "DIRECT"
    INDIRECT = "INDIRECT"


class TransformationSubtype(StrEnum):
    """How an input column takes part in an output column (OpenLineage subtypes)."""

    IDENTITY = "IDENTITY"
    TRANSFORMATION = "TRANSFORMATION"
    AGGREGATION = "AGGREGATION"
    JOIN = "JOIN"
    FILTER = "FILTER"
    GROUP_BY = "GROUP_BY"
    SORT = "SORT"
    WINDOW = "WINDOW"
    CONDITIONAL = "CONDITIONAL"

    @property
    def type(self) -> TransformationType:
        """DIRECT for the value-carrying subtypes, INDIRECT for the others."""
        if self in _DIRECT_SUBTYPES:
            return TransformationType.DIRECT
        return TransformationType.INDIRECT


_DIRECT_SUBTYPES = frozenset(
    {
        TransformationSubtype.IDENTITY,
        TransformationSubtype.TRANSFORMATION,
        TransformationSubtype.AGGREGATION,
    }
)


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset named per the OpenLineage naming spec.

    ``namespace`` is ``file`` for local paths, ``hdfs://host:port``, ``s3://bucket``...; ``name`` is
    the absolute path (or key) inside it. ``table`` keeps the catalog name (``db.table``) when the
    dataset is a catalog table; in-memory data uses namespace ``memory``.
    """

    namespace: str
    name: str
    format: str | None = None
    table: str | None = None

    @property
    def key(self) -> str:
        """Stable identity used as the graph key: ``namespace`` + ``name`` (format-independent)."""
        return f"{self.namespace}::{self.name}"

    def to_dict(self) -> JsonDict:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "format": self.format,
            "table": self.table,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetRef:
        return cls(
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            format=data.get("format"),
            table=data.get("table"),
        )


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A column of a dataset; nested struct fields use a dotted path (``address.city``)."""

    dataset: DatasetRef
    name: str

    @property
    def key(self) -> str:
        return f"{self.dataset.key}::{self.name}"

    def to_dict(self) -> JsonDict:
        return {"dataset": self.dataset.to_dict(), "name": self.name}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnRef:
        return cls(dataset=DatasetRef.from_dict(data["dataset"]), name=str(data["name"]))


@dataclass(frozen=True, slots=True)
class Transformation:
    """How a source takes part in a target: subtype (type derives from it) and masking."""

    subtype: TransformationSubtype
    masking: bool = False
    description: str = ""

    @property
    def type(self) -> TransformationType:
        return self.subtype.type

    def to_dict(self) -> JsonDict:
        return {
            "type": self.type.value,
            "subtype": self.subtype.value,
            "masking": self.masking,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transformation:
        return cls(
            subtype=TransformationSubtype(data["subtype"]),
            masking=bool(data.get("masking", False)),
            description=str(data.get("description", "")),
        )


@dataclass(frozen=True, slots=True)
class ColumnEdge:
    """One input column feeding one output column, and how."""

    source: ColumnRef
    target: ColumnRef
    transformation: Transformation

    def to_dict(self) -> JsonDict:
        return {
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "transformation": self.transformation.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnEdge:
        return cls(
            source=ColumnRef.from_dict(data["source"]),
            target=ColumnRef.from_dict(data["target"]),
            transformation=Transformation.from_dict(data["transformation"]),
        )


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One top-level column of a dataset schema."""

    name: str
    type: str

    def to_dict(self) -> JsonDict:
        return {"name": self.name, "type": self.type}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchemaField:
        return cls(name=str(data["name"]), type=str(data.get("type", "")))


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A Delta (or other versioned) table version: what was read, or what a write created.

    ``status`` says how sure we are: ``exact`` (proved), ``ambiguous`` (several commits matched;
    ``candidates`` lists them), ``unknown`` (no way to tell). ``starting_version`` is set when a
    read covers a range of versions rather than one snapshot (a Delta change data feed read:
    the changes committed in ``starting_version`` .. ``version``, both included).
    ``user_metadata``, ``engine`` and ``user_name`` are the commit's ``userMetadata`` (the change
    description set with ``option("userMetadata", ...)`` or
    ``spark.databricks.delta.commitInfo.userMetadata``), ``engineInfo`` and ``userName``, as Delta
    recorded them (None when absent or empty).
    """

    version: int | None
    timestamp_ms: int | None = None
    operation: str | None = None
    operation_parameters: Mapping[str, str] = field(default_factory=dict)
    operation_metrics: Mapping[str, str] = field(default_factory=dict)
    status: str = "exact"
    candidates: tuple[int, ...] = ()
    starting_version: int | None = None
    user_metadata: str | None = None
    engine: str | None = None
    user_name: str | None = None

    def to_dict(self) -> JsonDict:
        data: JsonDict = {
            "version": self.version,
            "timestamp_ms": self.timestamp_ms,
            "operation": self.operation,
            "operation_parameters": dict(self.operation_parameters),
            "operation_metrics": dict(self.operation_metrics),
            "status": self.status,
            "candidates": list(self.candidates),
            "starting_version": self.starting_version,
        }
        # The commit's who/why only when known: an event without them keeps the digest it had
        # before they were recorded (spooled events stay recognisable when redelivered).
        for key, value in (
            ("user_metadata", self.user_metadata),
            ("engine", self.engine),
            ("user_name", self.user_name),
        ):
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionInfo:
        return cls(
            version=data.get("version"),
            timestamp_ms=data.get("timestamp_ms"),
            operation=data.get("operation"),
            operation_parameters=dict(data.get("operation_parameters") or {}),
            operation_metrics=dict(data.get("operation_metrics") or {}),
            status=str(data.get("status", "exact")),
            candidates=tuple(data.get("candidates") or ()),
            starting_version=data.get("starting_version"),
            user_metadata=data.get("user_metadata"),
            engine=data.get("engine"),
            user_name=data.get("user_name"),
        )


@dataclass(frozen=True, slots=True)
class InputDataset:
    """A dataset a query read, with the version it read (None when not versioned or unknown)."""

    dataset: DatasetRef
    schema: tuple[SchemaField, ...] = ()
    version: VersionInfo | None = None

    def to_dict(self) -> JsonDict:
        return {
            "dataset": self.dataset.to_dict(),
            "schema": [f.to_dict() for f in self.schema],
            "version": self.version.to_dict() if self.version else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputDataset:
        version = data.get("version")
        return cls(
            dataset=DatasetRef.from_dict(data["dataset"]),
            schema=tuple(SchemaField.from_dict(f) for f in data.get("schema") or ()),
            version=VersionInfo.from_dict(version) if version else None,
        )


@dataclass(frozen=True, slots=True)
class OutputDataset:
    """A dataset a query wrote, its column lineage and the dataset-wide INDIRECT dependencies.

    ``edges`` hold one entry per (source column, target column, subtype). ``dataset_dependencies``
    hold INDIRECT sources that steer every output row (a filter, a join key), recorded once per
    output as the OpenLineage ``columnLineage.dataset`` list. ``conservative`` lists the plan node
    or expression classes the engine did not understand and answered for conservatively.
    ``column_fingerprints`` maps each written column to the fingerprint of how this write computed
    it (``spark_lineage.lineage.fingerprint``; empty in events from before they were recorded).
    """

    dataset: DatasetRef
    schema: tuple[SchemaField, ...] = ()
    edges: tuple[ColumnEdge, ...] = ()
    dataset_dependencies: tuple[tuple[ColumnRef, Transformation], ...] = ()
    write_mode: str | None = None
    version: VersionInfo | None = None
    conservative: tuple[str, ...] = ()
    column_fingerprints: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> JsonDict:
        data: JsonDict = {
            "dataset": self.dataset.to_dict(),
            "schema": [f.to_dict() for f in self.schema],
            "edges": [e.to_dict() for e in self.edges],
            "dataset_dependencies": [
                {"source": c.to_dict(), "transformation": t.to_dict()}
                for c, t in self.dataset_dependencies
            ],
            "write_mode": self.write_mode,
            "version": self.version.to_dict() if self.version else None,
            "conservative": list(self.conservative),
        }
        if self.column_fingerprints:  # absent from older events: their digest stays as it was
            data["column_fingerprints"] = dict(self.column_fingerprints)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OutputDataset:
        version = data.get("version")
        return cls(
            dataset=DatasetRef.from_dict(data["dataset"]),
            schema=tuple(SchemaField.from_dict(f) for f in data.get("schema") or ()),
            edges=tuple(ColumnEdge.from_dict(e) for e in data.get("edges") or ()),
            dataset_dependencies=tuple(
                (ColumnRef.from_dict(d["source"]), Transformation.from_dict(d["transformation"]))
                for d in data.get("dataset_dependencies") or ()
            ),
            write_mode=data.get("write_mode"),
            version=VersionInfo.from_dict(version) if version else None,
            conservative=tuple(data.get("conservative") or ()),
            column_fingerprints={
                str(k): str(v) for k, v in (data.get("column_fingerprints") or {}).items()
            },
        )


class WriteStep(StrEnum):
    """Where a query's write stands among the queries Spark reports for one logical write
    (decided by ``spark_lineage.write_commands``)."""

    #: A write of its own (or no write): its event goes out as it is.
    WHOLE = "whole"
    #: Always the inner step of another write, whose event carries everything: no event.
    INNER = "inner"
    #: May be the inner step of an enclosing write into the same dataset, reported next: its
    #: event is held briefly and folded into the enclosing one (``spark_lineage.coalesce``).
    NESTABLE = "nestable"


@dataclass(frozen=True, slots=True)
class QueryLineage:
    """What the lineage engine derives from one captured query."""

    inputs: tuple[InputDataset, ...] = ()
    outputs: tuple[OutputDataset, ...] = ()
    warnings: tuple[str, ...] = ()
    write_step: WriteStep = WriteStep.WHOLE


# --- captured plans: the plain structure between capture (py4j) and lineage (pure) -------------


@dataclass(frozen=True, slots=True)
class CapturedPlan:
    """Everything lineage needs from one executed query, captured from the JVM as plain data.

    ``nodes`` is ``LogicalPlan.toJSON()`` parsed (Spark's pre-order flat list, each node with
    ``class`` and ``num-children``); ``facts`` carries what the JSON leaves out, keyed by the
    capture layer (relation identities, write targets, Delta facts...). Recorded fixtures are
    exactly this structure serialised with ``to_dict``.
    """

    nodes: tuple[JsonDict, ...]
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> JsonDict:
        return {"nodes": list(self.nodes), "facts": dict(self.facts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CapturedPlan:
        return cls(nodes=tuple(data.get("nodes") or ()), facts=dict(data.get("facts") or {}))


# --- run context and events -------------------------------------------------------------------


class EventType(StrEnum):
    START = "START"
    COMPLETE = "COMPLETE"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class AppContext:
    """The Spark application a query ran in."""

    app_id: str
    app_name: str
    user: str = ""
    master: str = ""
    spark_version: str = ""

    def to_dict(self) -> JsonDict:
        return {
            "app_id": self.app_id,
            "app_name": self.app_name,
            "user": self.user,
            "master": self.master,
            "spark_version": self.spark_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AppContext:
        return cls(
            app_id=str(data.get("app_id", "")),
            app_name=str(data.get("app_name", "")),
            user=str(data.get("user", "")),
            master=str(data.get("master", "")),
            spark_version=str(data.get("spark_version", "")),
        )


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A trained model version: recorded with ``spark_lineage.record_model`` (``origin``
    ``record_model``) or found from an estimator's ``fit()`` and the model's ``save()``
    (``fit_save``). The event's inputs are the exact dataset versions it was trained on
    (``TRAINED_ON`` in the graph).

    ``version`` None means "the next number for that name", assigned by the graph writer (so an
    event spooled while the graph is down still gets a number when it is written).
    ``feature_columns`` are the training DataFrame's columns the model used; ``trained_columns``
    maps an input dataset's key to its columns those features came from.
    """

    name: str
    version: str | None
    uri: str | None = None
    framework: str = "spark-ml"
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    mlflow_run_id: str | None = None
    origin: str = "record_model"
    feature_columns: tuple[str, ...] = ()
    trained_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    save_path: str | None = None
    mlflow_experiment_id: str | None = None
    registered_name: str | None = None
    registered_version: str | None = None
    #: The event of a ``fit_save`` version this recording stands for (``record_model`` called
    #: with the training DataFrame of a model already saved): the writer removes that version.
    replaces_event_id: str | None = None

    @property
    def key(self) -> str | None:
        """``<name>@<version>``; None while the version is still to be numbered by the writer."""
        return None if self.version is None else f"{self.name}@{self.version}"

    def to_dict(self) -> JsonDict:
        return {
            "name": self.name,
            "version": self.version,
            "uri": self.uri,
            "framework": self.framework,
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "mlflow_run_id": self.mlflow_run_id,
            "origin": self.origin,
            "feature_columns": list(self.feature_columns),
            "trained_columns": {k: list(v) for k, v in self.trained_columns.items()},
            "save_path": self.save_path,
            "mlflow_experiment_id": self.mlflow_experiment_id,
            "registered_name": self.registered_name,
            "registered_version": self.registered_version,
            "replaces_event_id": self.replaces_event_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelInfo:
        version = data.get("version")
        trained = data.get("trained_columns") or {}
        return cls(
            name=str(data["name"]),
            version=None if version is None else str(version),
            uri=data.get("uri"),
            framework=str(data.get("framework") or "spark-ml"),
            metrics={str(k): float(v) for k, v in (data.get("metrics") or {}).items()},
            params={str(k): str(v) for k, v in (data.get("params") or {}).items()},
            mlflow_run_id=data.get("mlflow_run_id"),
            origin=str(data.get("origin") or "record_model"),
            feature_columns=tuple(str(c) for c in data.get("feature_columns") or ()),
            trained_columns={str(k): tuple(str(c) for c in v) for k, v in trained.items()},
            save_path=data.get("save_path"),
            mlflow_experiment_id=data.get("mlflow_experiment_id"),
            registered_name=data.get("registered_name"),
            registered_version=data.get("registered_version"),
            replaces_event_id=data.get("replaces_event_id"),
        )


@dataclass(frozen=True, slots=True)
class LineageEvent:
    """One query's lineage: the run, its job, the datasets and column edges, and its outcome.

    ``job_name`` is stable between runs of the same application (so the graph can aggregate edges
    per job); ``run_id`` is a UUID unique to this query execution. Times are epoch milliseconds.
    The OpenLineage RunEvent is the wire format (see ``spark_lineage.events``).
    """

    run_id: str
    event_type: EventType
    job_namespace: str
    job_name: str
    event_time_ms: int
    started_at_ms: int
    ended_at_ms: int
    app: AppContext
    inputs: tuple[InputDataset, ...] = ()
    outputs: tuple[OutputDataset, ...] = ()
    function_name: str = ""
    sql: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    parent_run_id: str | None = None
    model: ModelInfo | None = None
    #: The application (parent job) label; empty in events from before it was recorded.
    application: str = ""

    @property
    def edges(self) -> Sequence[ColumnEdge]:
        return [edge for output in self.outputs for edge in output.edges]

    def to_dict(self) -> JsonDict:
        return {
            "run_id": self.run_id,
            "event_type": self.event_type.value,
            "job_namespace": self.job_namespace,
            "job_name": self.job_name,
            "event_time_ms": self.event_time_ms,
            "started_at_ms": self.started_at_ms,
            "ended_at_ms": self.ended_at_ms,
            "app": self.app.to_dict(),
            "inputs": [i.to_dict() for i in self.inputs],
            "outputs": [o.to_dict() for o in self.outputs],
            "function_name": self.function_name,
            "sql": self.sql,
            "error": self.error,
            "warnings": list(self.warnings),
            "parent_run_id": self.parent_run_id,
            "model": self.model.to_dict() if self.model else None,
            "application": self.application,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineageEvent:
        return cls(
            run_id=str(data["run_id"]),
            event_type=EventType(data["event_type"]),
            job_namespace=str(data["job_namespace"]),
            job_name=str(data["job_name"]),
            event_time_ms=int(data["event_time_ms"]),
            started_at_ms=int(data["started_at_ms"]),
            ended_at_ms=int(data["ended_at_ms"]),
            app=AppContext.from_dict(data.get("app") or {}),
            inputs=tuple(InputDataset.from_dict(i) for i in data.get("inputs") or ()),
            outputs=tuple(OutputDataset.from_dict(o) for o in data.get("outputs") or ()),
            function_name=str(data.get("function_name", "")),
            sql=data.get("sql"),
            error=data.get("error"),
            warnings=tuple(data.get("warnings") or ()),
            parent_run_id=data.get("parent_run_id"),
            model=ModelInfo.from_dict(data["model"]) if data.get("model") else None,
            application=str(data.get("application") or ""),
        )
