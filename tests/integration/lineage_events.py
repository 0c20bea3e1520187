"""LineageEvents made by hand for the graph tests (timeline, model versions, reproduce).

The graph tests write a small pipeline through the real GraphWriter: each step is one COMPLETE
event of a job that read some dataset versions, wrote at most one, and maybe recorded a model.
:func:`lineage_event` builds that event; :func:`input_at` and :func:`output_at` build its
inputs and output from a dataset and a version. The tests keep their own small wrappers for
what their story fixes (namespace, clock, application, write mode).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from spark_lineage.model import (
    AppContext,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    ModelInfo,
    OutputDataset,
    VersionInfo,
)


def input_at(dataset: DatasetRef, version: int | None) -> InputDataset:
    """``dataset`` read at ``version`` (None: a read of an unversioned dataset)."""
    return InputDataset(dataset, version=None if version is None else VersionInfo(version))


def output_at(
    dataset: DatasetRef, version: int | VersionInfo | None, *, mode: str | None = None
) -> OutputDataset:
    """``dataset`` written as ``version``: a number is a plain ``WRITE`` commit, a VersionInfo
    says more about the commit, None is a write of an unversioned dataset."""
    if isinstance(version, int):
        version = VersionInfo(version, operation="WRITE")
    return OutputDataset(dataset, write_mode=mode, version=version)


def lineage_event(
    namespace: str,
    job: str,
    at: int,
    *,
    inputs: Iterable[InputDataset] = (),
    output: OutputDataset | None = None,
    model: ModelInfo | None = None,
    app: AppContext | None = None,
    started_at: int | None = None,
) -> LineageEvent:
    """A COMPLETE event of ``namespace::job`` that ended at ``at`` (epoch ms; started a second
    earlier unless ``started_at`` says otherwise), with a new run id. The application is
    ``app-<job>`` named ``<job>`` unless ``app`` is given."""
    return LineageEvent(
        run_id=str(uuid.uuid4()),
        event_type=EventType.COMPLETE,
        job_namespace=namespace,
        job_name=job,
        event_time_ms=at,
        started_at_ms=at - 1000 if started_at is None else started_at,
        ended_at_ms=at,
        app=app or AppContext(app_id=f"app-{job}", app_name=job),
        inputs=tuple(inputs),
        outputs=() if output is None else (output,),
        model=model,
    )
