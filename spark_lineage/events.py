"""From one finished query to a :class:`LineageEvent`, and from that to an OpenLineage RunEvent.

``build_event`` is the single place that names jobs and runs: the job name is stable between runs
of the same application (``<application>.<short output name>``, see
:mod:`spark_lineage.job_names`, so the graph aggregates edges per job); the run id is a fresh
UUID per query. ``to_openlineage`` is the wire format, built from the
``openlineage-python`` models, whose validators check the spec's required fields and formats.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import attr
from openlineage.client import event_v2 as ol
from openlineage.client import facet_v2 as olf
from openlineage.client.generated.base import DatasetFacet, RunFacet
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

from spark_lineage.job_names import JobNamer, application_label, scope_memory_sources
from spark_lineage.model import (
    AppContext,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    QueryLineage,
    SchemaField,
    Transformation,
    VersionInfo,
)


def _package_version() -> str:
    try:
        return metadata.version("spark-lineage")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"


VERSION = _package_version()
PRODUCER = f"https://github.com/spark-lineage/spark-lineage/tree/v{VERSION}"
_FACET_SCHEMA_BASE = "https://github.com/spark-lineage/spark-lineage/blob/main/docs/agent.md"


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """What the listener knows about one executed query, independent of its lineage."""

    function_name: str
    started_at_ms: int
    ended_at_ms: int
    error: str | None = None
    error_stack: str | None = None
    sql: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def new_run_id() -> str:
    """A fresh OpenLineage run id (a time-ordered UUID)."""
    return str(generate_new_uuid())


def build_event(
    outcome: QueryOutcome,
    app: AppContext,
    lineage: QueryLineage,
    *,
    namespace: str,
    run_id: str | None = None,
    parent_run_id: str | None = None,
    extra_warnings: Iterable[str] = (),
    namer: JobNamer | None = None,
) -> LineageEvent:
    """Fold a query's outcome, its application and its lineage into one LineageEvent.

    ``namer`` is the application's :class:`~spark_lineage.job_names.JobNamer` (the agent keeps
    one per application, so that path suffixes stay unique within it); without one, the job is
    named as if this were the application's first output.
    """
    namer = namer or JobNamer(app.app_name)
    lineage = scope_memory_sources(lineage, namer.application)
    return LineageEvent(
        run_id=run_id or new_run_id(),
        event_type=EventType.FAIL if outcome.failed else EventType.COMPLETE,
        job_namespace=namespace,
        job_name=namer.job_name(lineage),
        application=namer.application,
        event_time_ms=outcome.ended_at_ms,
        started_at_ms=outcome.started_at_ms,
        ended_at_ms=outcome.ended_at_ms,
        app=app,
        inputs=lineage.inputs,
        outputs=lineage.outputs,
        function_name=outcome.function_name,
        sql=outcome.sql,
        error=_error_text(outcome),
        warnings=(*lineage.warnings, *extra_warnings),
        parent_run_id=parent_run_id,
    )


def _error_text(outcome: QueryOutcome) -> str | None:
    if outcome.error is None:
        return None
    if outcome.error_stack:
        return f"{outcome.error}\n{outcome.error_stack}"
    return outcome.error


# --- OpenLineage wire format ---------------------------------------------------------------------


@attr.define
class SparkApplicationDetailsRunFacet(RunFacet):
    """The Spark application a query ran in (custom facet, ``spark_applicationDetails``)."""

    master: str
    appName: str
    applicationId: str
    sparkUser: str

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_applicationdetails"


@attr.define
class SparkLineageQueryRunFacet(RunFacet):
    """Agent-side details of one query (custom facet, ``spark_lineage_query``)."""

    functionName: str
    durationMs: int
    warnings: list[str] = attr.field(factory=list)

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_lineage_query"


@attr.define
class SparkLineageVersionRangeDatasetFacet(DatasetFacet):
    """A read of a range of versions, not one snapshot (custom input facet,
    ``spark_lineage_versionRange``): a Delta change data feed read of the commits
    ``startingVersion`` .. ``endingVersion`` (the ``version`` facet says ``endingVersion``)."""

    startingVersion: int
    endingVersion: int

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_lineage_versionrange"


@attr.define
class SparkLineageCommitDatasetFacet(DatasetFacet):
    """What the Delta commit of a dataset version says (custom dataset facet,
    ``spark_lineage_commit``): when, which operation with which parameters and metrics, the
    change description (``userMetadata``), the engine and the user Delta recorded."""

    timestamp: int | None = None
    operation: str | None = None
    operationParameters: dict[str, str] = attr.field(factory=dict)
    operationMetrics: dict[str, str] = attr.field(factory=dict)
    userMetadata: str | None = None
    engineInfo: str | None = None
    userName: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_lineage_commit"


@attr.define
class SparkLineageColumnFingerprintsDatasetFacet(DatasetFacet):
    """Per written column, the fingerprint of how this write computed it (custom output facet,
    ``spark_lineage_columnFingerprints``; see ``spark_lineage.lineage.fingerprint``)."""

    fingerprints: dict[str, str] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_lineage_columnfingerprints"


@attr.define
class SparkLineageModelRunFacet(RunFacet):
    """A model version, recorded with ``record_model`` or found from ``fit()`` + ``save()``
    (custom facet, ``spark_lineage_model``); the run's inputs are the dataset versions it was
    trained on. No ``version``: the graph writer numbers it (the next one for that name)."""

    name: str
    version: str | None
    framework: str
    uri: str | None = None
    metrics: dict[str, float] = attr.field(factory=dict)
    params: dict[str, str] = attr.field(factory=dict)
    mlflowRunId: str | None = None
    origin: str | None = None
    featureColumns: list[str] = attr.field(factory=list)
    savePath: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return f"{_FACET_SCHEMA_BASE}#spark_lineage_model"


def to_openlineage(event: LineageEvent) -> ol.RunEvent:
    """The OpenLineage RunEvent for a LineageEvent (columnLineage, schema, version, sql...)."""
    return ol.RunEvent(
        eventType=ol.RunState(event.event_type.value),
        eventTime=_iso(event.event_time_ms),
        run=ol.Run(runId=event.run_id, facets=_run_facets(event)),
        job=ol.Job(namespace=event.job_namespace, name=event.job_name, facets=_job_facets(event)),
        producer=PRODUCER,
        inputs=[_input(i) for i in event.inputs],
        outputs=[_output(o) for o in event.outputs],
    )


def to_openlineage_dict(event: LineageEvent) -> dict[str, Any]:
    """The RunEvent as a JSON-compatible dict (nulls removed, as the OpenLineage client does)."""
    return Serde.to_dict(to_openlineage(event))


def to_openlineage_json(event: LineageEvent) -> str:
    """The RunEvent as one line of JSON (no newlines inside), for JSON-lines files."""
    return json.dumps(to_openlineage_dict(event), sort_keys=True, separators=(",", ":"))


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def _run_facets(event: LineageEvent) -> dict[str, RunFacet]:
    facets: dict[str, RunFacet] = {
        "processing_engine": olf.processing_engine_run.ProcessingEngineRunFacet(
            version=event.app.spark_version or "unknown",
            name="spark",
            openlineageAdapterVersion=VERSION,
            producer=PRODUCER,
        ),
        "spark_applicationDetails": SparkApplicationDetailsRunFacet(
            master=event.app.master,
            appName=event.app.app_name,
            applicationId=event.app.app_id,
            sparkUser=event.app.user,
            producer=PRODUCER,
        ),
        "spark_lineage_query": SparkLineageQueryRunFacet(
            functionName=event.function_name,
            durationMs=max(0, event.ended_at_ms - event.started_at_ms),
            warnings=list(event.warnings),
            producer=PRODUCER,
        ),
    }
    if event.parent_run_id:
        facets["parent"] = olf.parent_run.ParentRunFacet(
            run=olf.parent_run.Run(runId=event.parent_run_id),
            job=olf.parent_run.Job(
                namespace=event.job_namespace,
                name=event.application or application_label(event.app.app_name),
            ),
            producer=PRODUCER,
        )
    if event.model is not None:
        facets["spark_lineage_model"] = SparkLineageModelRunFacet(
            name=event.model.name,
            version=event.model.version,
            framework=event.model.framework,
            uri=event.model.uri,
            metrics=dict(event.model.metrics),
            params=dict(event.model.params),
            mlflowRunId=event.model.mlflow_run_id,
            origin=event.model.origin,
            featureColumns=list(event.model.feature_columns),
            savePath=event.model.save_path,
            producer=PRODUCER,
        )
    if event.error is not None:
        message, _, stack = event.error.partition("\n")
        facets["errorMessage"] = olf.error_message_run.ErrorMessageRunFacet(
            message=message,
            programmingLanguage="JAVA",
            stackTrace=stack or None,
            producer=PRODUCER,
        )
    return facets


def _job_facets(event: LineageEvent) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "jobType": olf.job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="SPARK", jobType="SQL_JOB", producer=PRODUCER
        )
    }
    if event.sql:
        facets["sql"] = olf.sql_job.SQLJobFacet(query=event.sql, dialect="spark", producer=PRODUCER)
    return facets


def _schema_facet(schema: Iterable[SchemaField]) -> olf.schema_dataset.SchemaDatasetFacet:
    return olf.schema_dataset.SchemaDatasetFacet(
        fields=[
            olf.schema_dataset.SchemaDatasetFacetFields(name=f.name, type=f.type or None)
            for f in schema
        ],
        producer=PRODUCER,
    )


def _dataset_facets(
    dataset: DatasetRef, schema: tuple[SchemaField, ...], version: VersionInfo | None
) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    if schema:
        facets["schema"] = _schema_facet(schema)
    if version is not None and version.version is not None:
        facets["version"] = olf.dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(version.version), producer=PRODUCER
        )
        commit = _commit_facet(version)
        if commit is not None:
            facets["spark_lineage_commit"] = commit
        if version.starting_version is not None:
            facets["spark_lineage_versionRange"] = SparkLineageVersionRangeDatasetFacet(
                startingVersion=version.starting_version,
                endingVersion=version.version,
                producer=PRODUCER,
            )
    if dataset.table:
        facets["symlinks"] = olf.symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                olf.symlinks_dataset.Identifier(
                    namespace=dataset.namespace, name=dataset.table, type="TABLE"
                )
            ],
            producer=PRODUCER,
        )
    if dataset.format:
        layer = dataset.format.lower()
        facets["storage"] = olf.storage_dataset.StorageDatasetFacet(
            storageLayer=layer,
            fileFormat="parquet" if layer == "delta" else layer,
            producer=PRODUCER,
        )
    return facets


def _input(dataset: InputDataset) -> ol.InputDataset:
    return ol.InputDataset(
        namespace=dataset.dataset.namespace,
        name=dataset.dataset.name,
        facets=_dataset_facets(dataset.dataset, dataset.schema, dataset.version),
    )


def _output(dataset: OutputDataset) -> ol.OutputDataset:
    facets = _dataset_facets(dataset.dataset, dataset.schema, dataset.version)
    if dataset.edges or dataset.dataset_dependencies or dataset.schema:
        facets["columnLineage"] = _column_lineage(dataset)
    if dataset.column_fingerprints:
        facets["spark_lineage_columnFingerprints"] = SparkLineageColumnFingerprintsDatasetFacet(
            fingerprints=dict(dataset.column_fingerprints)
        )
    output_facets: dict[str, Any] = {}
    stats = _output_statistics(dataset.version)
    if stats is not None:
        output_facets["outputStatistics"] = stats
    return ol.OutputDataset(
        namespace=dataset.dataset.namespace,
        name=dataset.dataset.name,
        facets=facets,
        outputFacets=output_facets,
    )


def _input_field(source: ColumnRef, transformations: Iterable[Transformation]) -> Any:
    cl = olf.column_lineage_dataset
    return cl.InputField(
        namespace=source.dataset.namespace,
        name=source.dataset.name,
        field=source.name,
        transformations=[
            cl.Transformation(
                type=t.type.value,
                subtype=t.subtype.value,
                description=t.description or None,
                masking=t.masking,
            )
            for t in transformations
        ],
    )


def _column_lineage(dataset: OutputDataset) -> Any:
    """One ``fields`` entry per target column, each source once with all its transformations.

    Every written column is listed, also one that no input column feeds directly (``count(*)``,
    a literal, a static partition value): with no input fields, its dataset-wide INDIRECT
    sources being in ``dataset``.
    """
    cl = olf.column_lineage_dataset
    per_target: dict[str, dict[str, tuple[ColumnRef, list[Transformation]]]] = {}
    nested_parents = {e.target.name.split(".", 1)[0] for e in dataset.edges}
    for field in dataset.schema:
        if field.name not in nested_parents:
            per_target.setdefault(field.name, {})
    for edge in dataset.edges:
        sources = per_target.setdefault(edge.target.name, {})
        _, transformations = sources.setdefault(edge.source.key, (edge.source, []))
        if edge.transformation not in transformations:
            transformations.append(edge.transformation)
    fields = {
        target: cl.Fields(inputFields=[_input_field(s, ts) for s, ts in sources.values()])
        for target, sources in sorted(per_target.items())
    }
    dependencies: dict[str, tuple[ColumnRef, list[Transformation]]] = {}
    for source, transformation in dataset.dataset_dependencies:
        _, transformations = dependencies.setdefault(source.key, (source, []))
        if transformation not in transformations:
            transformations.append(transformation)
    return cl.ColumnLineageDatasetFacet(
        fields=fields,
        dataset=[_input_field(s, ts) for s, ts in dependencies.values()],
        producer=PRODUCER,
    )


def _commit_facet(version: VersionInfo) -> SparkLineageCommitDatasetFacet | None:
    """The commit's facts, when the version carries any (a read's version often only a number)."""
    if (
        version.timestamp_ms is None
        and version.operation is None
        and version.user_metadata is None
        and version.engine is None
        and version.user_name is None
    ):
        return None
    return SparkLineageCommitDatasetFacet(
        timestamp=version.timestamp_ms,
        operation=version.operation,
        operationParameters=dict(version.operation_parameters),
        operationMetrics=dict(version.operation_metrics),
        userMetadata=version.user_metadata,
        engineInfo=version.engine,
        userName=version.user_name,
    )


def _output_statistics(version: VersionInfo | None) -> Any:
    if version is None:
        return None
    metrics: Mapping[str, str] = version.operation_metrics
    row_count = _int_or_none(metrics.get("numOutputRows"))
    size = _int_or_none(metrics.get("numOutputBytes"))
    files = _int_or_none(metrics.get("numFiles") or metrics.get("numAddedFiles"))
    if row_count is None and size is None and files is None:
        return None
    return olf.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=row_count, size=size, fileCount=files, producer=PRODUCER
    )


def _int_or_none(raw: str | None) -> int | None:
    try:
        return None if raw is None else int(raw)
    except ValueError:
        return None
