"""The bridge to MLflow: the run a model is trained in, the model version registered from it, and
the exact Delta inputs of the training, logged into MLflow's dataset tracking.

MLflow is optional (``pip install 'spark-lineage[mlflow]'``) and is never imported on behalf of a
job that has not imported it: an active run exists only once the job has imported ``mlflow``
itself, so :func:`current_run` looks for the module the job loaded and a job without MLflow pays
nothing. :func:`registered_model` and :func:`log_training_inputs` take a run, so they import it.

MLflow's active run is per thread, so :func:`current_run` must be called on the job's own thread
(at ``fit()`` or ``save()`` time); the two others name their run by id and may run on any thread.
They talk to the process's tracking and registry URIs, which MLflow keeps per process.

Nothing here raises into the job: a failure is logged once per kind as a warning (its later
repeats at debug level) and the function answers ``None`` or does nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from spark_lineage.model import InputDataset
from spark_lineage.names.parse import location

log = logging.getLogger(__name__)

#: MLflow's own source type for Delta tables (``mlflow.data.delta_dataset_source``): its
#: ``{"path", "delta_table_version"}`` JSON loads back as a ``DeltaDatasetSource``.
DELTA_SOURCE_TYPE = "delta_table"
#: The source type of an input whose Delta version is unknown (a plain path or a non-Delta table).
PATH_SOURCE_TYPE = "path"
#: The input tag that carries the Delta version read, so the MLflow UI lists it with the input.
VERSION_TAG = "delta.version"
#: MLflow's standard input tag for what a dataset was used for (``mlflow.data.context``).
CONTEXT_TAG = "mlflow.data.context"

_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_URI_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


@dataclass(frozen=True, slots=True)
class MlflowRun:
    """An MLflow run a model was trained in, with the model version registered from it."""

    run_id: str
    experiment_id: str
    registered_name: str | None = None
    registered_version: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingInput:
    """One dataset a training read, as it goes into MLflow's dataset tracking."""

    name: str  # table name, else the path
    location: str  # the table's location URI
    version: int | None  # the Delta version read


def training_inputs(inputs: Sequence[InputDataset]) -> list[TrainingInput]:
    """The training inputs of a lineage event, as MLflow's dataset tracking takes them: the table
    name (else the path), the location and the Delta version read."""
    return [
        TrainingInput(
            name=item.dataset.table or location(item.dataset.namespace, item.dataset.name),
            location=location(item.dataset.namespace, item.dataset.name),
            version=None if item.version is None else item.version.version,
        )
        for item in inputs
    ]


def current_run() -> MlflowRun | None:
    """The MLflow run active on the calling thread; ``None`` without MLflow or an active run.

    Only the run and its experiment: a model version is registered after training, so
    ``registered_name``/``registered_version`` are left for :func:`registered_model`.
    """
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return None
    try:
        run = mlflow.active_run()
        if run is None:
            return None
        return MlflowRun(run_id=str(run.info.run_id), experiment_id=str(run.info.experiment_id))
    except Exception as exc:
        _warn_once("current_run", "could not read the active MLflow run", exc)
        return None


def registered_model(run_id: str) -> tuple[str, str] | None:
    """The ``(name, version)`` of the model version registered from run ``run_id``, if any.

    When the run registered several, the newest one (by creation time, then version number).
    """
    try:
        return _registered_model(run_id)
    except Exception as exc:
        _warn_once("registered_model", f"could not search the models of MLflow run {run_id}", exc)
        return None


def log_training_inputs(run: MlflowRun, inputs: Sequence[TrainingInput]) -> None:
    """Log ``inputs`` as the training datasets of ``run`` (by its id, whatever thread this is).

    Each input is a dataset named after the table (or path) whose source is its location and the
    Delta version read; that version is also the input's ``delta.version`` tag. An input logged
    twice, in one call or in two, stays one: MLflow keeps one input per (name, digest) and run,
    and the digest is made of the location and the version.
    """
    try:
        _log_training_inputs(run, inputs)
    except Exception as exc:
        what = f"could not log the training inputs of MLflow run {run.run_id}"
        _warn_once("log_training_inputs", what, exc)


def _registered_model(run_id: str) -> tuple[str, str] | None:
    if not _RUN_ID.fullmatch(run_id):
        _warn_once("registered_model", f"not an MLflow run id: {run_id!r}", None)
        return None
    client = _client()
    if client is None:
        return None
    # The id is checked above to hold no quote, so the quoted literal is the whole id.
    found = list(client.search_model_versions(filter_string=f"run_id = '{run_id}'"))
    if not found:
        return None
    newest = max(found, key=lambda mv: (int(mv.creation_timestamp or 0), _number(mv.version)))
    return str(newest.name), str(newest.version)


def _log_training_inputs(run: MlflowRun, inputs: Sequence[TrainingInput]) -> None:
    unique = list(dict.fromkeys(inputs))
    if not unique:
        return
    client = _client()
    if client is None:
        return
    entities = importlib.import_module("mlflow.entities")
    client.log_inputs(run.run_id, [_dataset_input(entities, each) for each in unique])


def _dataset_input(entities: ModuleType, each: TrainingInput) -> Any:
    """The ``mlflow.entities.DatasetInput`` of one training input."""
    source: dict[str, object] = {"path": each.location}
    tags = [entities.InputTag(key=CONTEXT_TAG, value="training")]
    if each.version is not None:
        source["delta_table_version"] = each.version
        tags.append(entities.InputTag(key=VERSION_TAG, value=str(each.version)))
    dataset = entities.Dataset(
        name=each.name,
        digest=_digest(each),
        source_type=DELTA_SOURCE_TYPE if each.version is not None else PATH_SOURCE_TYPE,
        source=json.dumps(source, sort_keys=True),
    )
    return entities.DatasetInput(dataset=dataset, tags=tags)


def _digest(each: TrainingInput) -> str:
    """A short, stable digest of the data read: its location and version (MLflow keeps 36 chars)."""
    text = json.dumps([each.location, each.version])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _client() -> Any | None:
    """An ``MlflowClient`` on the process's tracking URI; ``None`` (warned once) without MLflow."""
    try:
        tracking = importlib.import_module("mlflow.tracking")
    except ImportError:
        _warn_once("import", "MLflow is not installed (pip install 'spark-lineage[mlflow]')", None)
        return None
    try:
        return tracking.MlflowClient()
    except Exception as exc:
        _warn_once("client", "could not open the MLflow tracking store", exc)
        return None


def _number(version: object) -> int:
    try:
        return int(str(version))
    except ValueError:
        return -1


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(kind: str, what: str, exc: BaseException | None) -> None:
    """Warn the first time a kind of failure happens in this process, then log it at debug level.

    The exception is named with any ``user:password@`` of a URI in its message masked, since
    MLflow's messages can repeat a tracking URI.
    """
    reason = "" if exc is None else f": {type(exc).__name__}: {_URI_USERINFO.sub('***@', str(exc))}"
    with _warned_lock:
        first = kind not in _warned
        _warned.add(kind)
    level = logging.WARNING if first else logging.DEBUG
    log.log(level, "spark-lineage: %s%s", what, reason)
