"""From what a query (or a training) did to the event the sinks get: one place for both.

The agent captures a query's plan and derives its lineage; :class:`EventMaker` decides whether
that deserves an event (engine-internal queries, read-only queries when they are not wanted,
inner steps of a write and Spark ML's model files do not) and builds it with the application's
identity: its job name (:class:`~spark_lineage.job_names.JobNamer`), its in-memory sources scoped
to it, and the application run as parent. ``record_model`` builds its event here too.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from spark_lineage.events import QueryOutcome, build_event, new_run_id
from spark_lineage.job_names import JobNamer, scope_memory_sources, training_job_name
from spark_lineage.lineage.internal import is_engine_internal
from spark_lineage.ml_saves import ModelSaveFilter
from spark_lineage.model import (
    AppContext,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    ModelInfo,
    QueryLineage,
    WriteStep,
)


class EventMaker:
    """Events of one application: its queries and the models it trains."""

    def __init__(
        self,
        app: AppContext,
        *,
        namespace: str,
        application: str | None = None,
        lake_root: str | None = None,
        emit_read_only: bool = True,
    ) -> None:
        self.app = app
        self.namespace = namespace
        self.emit_read_only = emit_read_only
        #: The application's own run: the parent (OpenLineage ParentRunFacet) of every event.
        self.app_run_id = new_run_id()
        self.namer = JobNamer(application or app.app_name, lake_root)
        self.model_saves = ModelSaveFilter()

    def remember_job_names(self, known: Iterable[tuple[DatasetRef, str]]) -> None:
        """Take the names earlier runs gave this application's jobs (``(output, job name)``, as
        a sink's store holds them): a known output keeps its job, a new one avoids those names."""
        prefix = self.namer.application + "."
        for dataset, job_name in known:
            if job_name.startswith(prefix) and not job_name.startswith(prefix + "read."):
                self.namer.remember(dataset, job_name[len(prefix) :])

    def wanted(
        self, outcome: QueryOutcome, lineage: QueryLineage, lineage_failed: bool = False
    ) -> bool:
        """False for a query that gets no event of its own. A failed query always gets one, and
        so does a query whose lineage could not be derived (its event says so)."""
        if outcome.failed or lineage_failed:
            return True
        no_datasets = not lineage.inputs and not lineage.outputs  # CREATE DATABASE, SET, ...
        return not (
            no_datasets
            or is_engine_internal(outcome.function_name, lineage)
            or (not lineage.outputs and not self.emit_read_only)
            or lineage.write_step is WriteStep.INNER  # the enclosing CTAS/RTAS reports the write
            or self.model_saves.is_model_save(lineage)
        )

    def for_query(
        self, outcome: QueryOutcome, lineage: QueryLineage, extra_warnings: Iterable[str] = ()
    ) -> LineageEvent | None:
        """The query's event, or None when it gets none (:meth:`wanted`)."""
        warnings = tuple(extra_warnings)
        if not self.wanted(outcome, lineage, lineage_failed=bool(warnings)):
            return None
        return build_event(
            outcome,
            self.app,
            lineage,
            namespace=self.namespace,
            parent_run_id=self.app_run_id,
            extra_warnings=warnings,
            namer=self.namer,
        )

    def for_model(
        self,
        model: ModelInfo,
        inputs: tuple[InputDataset, ...],
        *,
        function_name: str = "record_model",
        run_id: str | None = None,
    ) -> LineageEvent:
        """The event of a trained model: job ``<application>.train.<model>``, read inputs only
        (``function_name``: ``record_model``, or ``fit`` for a model found from fit + save;
        ``run_id``: one chosen beforehand, else a new one)."""
        application = self.namer.application
        scoped = scope_memory_sources(QueryLineage(inputs=inputs), application).inputs
        now = int(time.time() * 1000)
        return LineageEvent(
            run_id=run_id or new_run_id(),
            event_type=EventType.COMPLETE,
            job_namespace=self.namespace,
            job_name=training_job_name(application, model.name),
            event_time_ms=now,
            started_at_ms=now,
            ended_at_ms=now,
            app=self.app,
            inputs=scoped,
            function_name=function_name,
            parent_run_id=self.app_run_id,
            model=model,
            application=application,
        )
