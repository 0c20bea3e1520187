"""Model versions with no code change: a Spark ML ``fit()`` followed by ``save()`` of its model.

Once an agent is attached in the process (:func:`install`, called by ``attach``), three entry
points of ``pyspark.ml`` are wrapped, once, when ``pyspark.ml`` is (or gets) imported:

* ``Estimator.fit``: remembers on the fitted model the training DataFrame's ``QueryExecution``
  (one py4j call on the caller's thread; its analyzed plan pins the Delta versions read, time
  travel included) and the feature columns the estimator uses (the ``inputCol``, ``inputCols`` and
  ``featuresCol`` of its stages that are columns of the DataFrame, else all its columns).
* ``JavaMLWriter.__init__``: keeps the instance a Java writer saves (Python writers keep it as
  ``instance`` already), so ``model.write().overwrite().save(p)`` is seen as well as
  ``model.save(p)`` (which goes through the writer).
* ``MLWriter.save`` and the ``save`` overrides of its subclasses: after a successful save of a
  remembered model, a Model version event goes to the agent's worker, which captures the plan,
  derives the inputs and the columns the features come from, and sends the event like any other.

Only the outermost ``fit`` and ``save`` of a thread count: a ``Pipeline`` fits and saves its
stages through the same methods. Name and version follow :mod:`spark_lineage.model_naming`; a
version left None is numbered by the graph writer. The model's own files are filtered out of the
datasets by :mod:`spark_lineage.ml_saves`.

The wrappers keep the original's signature (``functools.wraps``) and return value, call the
original unchanged when no agent is attached to the DataFrame's session, and never raise into the
job: a failure of the lineage part logs one warning.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from spark_lineage.mlflow_link import (
    MlflowRun,
    current_run,
    log_training_inputs,
    training_inputs,
)
from spark_lineage.model import LineageEvent, ModelInfo
from spark_lineage.model_naming import model_name, model_version

log = logging.getLogger(__name__)

ML_MODULE = "pyspark.ml"
MLFLOW_SPARK_MODULE = "mlflow.spark"
_WRAPPED = "_spark_lineage_wrapped"
_TRAINING = "_spark_lineage_training"
_INSTANCE = "_spark_lineage_instance"
_FEATURE_PARAMS = ("inputCol", "inputCols", "featuresCol")

_installed = False
_install_lock = threading.Lock()
_depth = threading.local()
#: Per thread: the model versions saved inside an ``mlflow.spark.log_model`` call, held until it
#: returns with the registered name and version (None: not inside one).
_logging = threading.local()


@dataclass(slots=True)
class Training:
    """What a ``fit()`` leaves on its model and on its training DataFrame: the session, the
    training plan, the features; then the events of its saves, and whether ``record_model``
    took it over (its explicit name wins: the saves then record nothing of their own)."""

    session: Any
    query_execution: Any
    feature_columns: tuple[str, ...]
    saved_event_ids: list[str] = field(default_factory=list)
    recorded: bool = False


def claim_training(dataframe: Any) -> str | None:
    """For ``record_model``: take over the model fitted on ``dataframe`` (if one was). Later saves
    record nothing; returns the event of the save already sent, whose version it replaces."""
    training: Training | None = getattr(dataframe, _TRAINING, None)
    if training is None:
        return None
    training.recorded = True
    return training.saved_event_ids[-1] if training.saved_event_ids else None


def install() -> None:
    """Wrap the ``pyspark.ml`` entry points now, or when ``pyspark.ml`` is imported (once)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
    from spark_lineage.autoattach import when_imported

    when_imported(ML_MODULE, patch_ml)
    when_imported(MLFLOW_SPARK_MODULE, patch_mlflow_spark)


def patch_ml(module: ModuleType | None = None) -> None:
    """Wrap ``Estimator.fit``, ``JavaMLWriter.__init__`` and the writers' ``save`` (idempotent);
    never raises."""
    try:
        from pyspark.ml.base import Estimator
        from pyspark.ml.util import JavaMLWriter, MLWriter

        _wrap(Estimator, "fit", _fit_wrapper)
        _wrap(JavaMLWriter, "__init__", _writer_init_wrapper)
        for writer_class in (MLWriter, *_subclasses(MLWriter)):
            if "save" in vars(writer_class):
                _wrap(writer_class, "save", _save_wrapper)
    except Exception:
        log.warning("spark-lineage: could not follow Spark ML saves", exc_info=True)


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _wrap(cls: type, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = vars(cls)[name]
    if getattr(original, _WRAPPED, False):
        return
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _WRAPPED, True)
    setattr(cls, name, wrapper)


@contextmanager
def _nested(kind: str) -> Iterator[bool]:
    """True for the outermost ``kind`` call of this thread."""
    level = getattr(_depth, kind, 0)
    setattr(_depth, kind, level + 1)
    try:
        yield level == 0
    finally:
        setattr(_depth, kind, level)


# --- fit ------------------------------------------------------------------------------------


def _fit_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    def fit(self: Any, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        with _nested("fit") as outermost:
            fitted = original(self, dataset, *args, **kwargs)
        if outermost:
            _remember_training(self, dataset, fitted)
        return fitted

    return fit


def _remember_training(estimator: Any, dataset: Any, fitted: Any) -> None:
    try:
        from spark_lineage.agent import attached_agent

        session = dataset.sparkSession
        if attached_agent(session) is None:
            return
        training = Training(
            session=session,
            query_execution=dataset._jdf.queryExecution(),
            feature_columns=feature_columns(estimator, list(dataset.columns)),
        )
        for model in fitted if isinstance(fitted, list) else [fitted]:
            setattr(model, _TRAINING, training)
        setattr(dataset, _TRAINING, training)  # record_model(training_data=...) finds it here
    except Exception:
        log.warning("spark-lineage: could not follow a Spark ML fit()", exc_info=True)


def feature_columns(estimator: Any, columns: Sequence[str]) -> tuple[str, ...]:
    """The DataFrame columns the estimator's stages read as features (``inputCol``,
    ``inputCols``, ``featuresCol``), in stage order; all of ``columns`` when none is named."""
    by_name = {c.lower(): c for c in columns}
    found: dict[str, None] = {}
    for stage in _stages(estimator):
        for param in _FEATURE_PARAMS:
            for name in _param_values(stage, param):
                column = by_name.get(name.lower())
                if column is not None:
                    found[column] = None
    return tuple(found) if found else tuple(columns)


def _stages(estimator: Any) -> list[Any]:
    get_stages = getattr(estimator, "getStages", None)
    return list(get_stages()) if callable(get_stages) else [estimator]


def _param_values(stage: Any, name: str) -> list[str]:
    has_param = getattr(stage, "hasParam", None)
    if not callable(has_param) or not has_param(name) or not stage.isDefined(name):
        return []
    value = stage.getOrDefault(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


# --- save -----------------------------------------------------------------------------------


def _writer_init_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    def __init__(self: Any, instance: Any, *args: Any, **kwargs: Any) -> None:
        original(self, instance, *args, **kwargs)
        try:
            setattr(self, _INSTANCE, instance)
        except Exception:
            log.warning("spark-lineage: could not follow a Spark ML writer", exc_info=True)

    return __init__


def _save_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    def save(self: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        with _nested("save") as outermost:
            if outermost:
                _announce_save(self, path)
            result = original(self, path, *args, **kwargs)
        if outermost:
            _record_save(self, path)
        return result

    return save


def _announce_save(writer: Any, path: Any) -> None:
    """Before the save runs: tell the agent that writes into ``path`` are the model's own files
    (Spark 3.5 writes a model's metadata with no query that would say so)."""
    try:
        from spark_lineage.agent import attached_agent
        from spark_lineage.dataset_names import split_location

        training: Training | None = getattr(_saved_instance(writer), _TRAINING, None)
        session = training.session if training is not None else _writer_session(writer)
        agent = None if session is None else attached_agent(session)
        if agent is None:
            return
        namespace, name = split_location(_qualified(session, str(path)))
        agent.events.model_saves.expect(f"{namespace}::{name}")
    except Exception:
        log.warning("spark-lineage: could not follow a Spark ML save", exc_info=True)


def _saved_instance(writer: Any) -> Any:
    instance = getattr(writer, "instance", None)
    return instance if instance is not None else getattr(writer, _INSTANCE, None)


def _writer_session(writer: Any) -> Any:
    """The session an ML writer saves with (``MLWriter.sparkSession``), else the active one."""
    try:
        return writer.sparkSession
    except Exception:
        from pyspark.sql import SparkSession

        return SparkSession.getActiveSession()


def _record_save(writer: Any, path: Any) -> None:
    try:
        from spark_lineage.agent import attached_agent
        from spark_lineage.events import new_run_id

        training: Training | None = getattr(_saved_instance(writer), _TRAINING, None)
        if training is None or training.recorded:
            return  # an estimator, a model this process did not fit, or one record_model names
        agent = attached_agent(training.session)
        if agent is None:
            return
        run = current_run()  # MLflow's active run is per thread: read it here, on the job's
        model = ModelInfo(
            name=model_name(explicit=agent.config.model_name, mlflow_name=None, save_path=path),
            version=model_version(
                explicit=agent.config.model_version, mlflow_version=None, save_path=path
            ),
            uri=str(path),
            framework="spark-ml",
            origin="fit_save",
            feature_columns=training.feature_columns,
            mlflow_run_id=None if run is None else run.run_id,
            mlflow_experiment_id=None if run is None else run.experiment_id,
        )
        event_id = new_run_id()
        training.saved_event_ids.append(event_id)
        saved = _Saved(agent, training, model, event_id, run)
        held: list[_Saved] | None = getattr(_logging, "held", None)
        if held is not None:  # inside mlflow.spark.log_model: named when it returns
            held.append(saved)
        else:
            _submit(saved)
    except Exception:
        log.warning("spark-lineage: could not record a saved Spark ML model", exc_info=True)


@dataclass(frozen=True, slots=True)
class _Saved:
    """A saved model version, to be built into an event on the agent's worker."""

    agent: Any
    training: Training
    model: ModelInfo
    event_id: str
    run: MlflowRun | None


def _submit(saved: _Saved) -> None:
    from spark_lineage.agent import DeferredEvent

    build = functools.partial(
        _model_event, saved.agent, saved.training, saved.model, saved.event_id, saved.run
    )
    what = f"model {saved.model.name} saved to {saved.model.uri}"
    saved.agent.submit_later(DeferredEvent(build, what))


# --- mlflow.spark.log_model -------------------------------------------------------------------


def patch_mlflow_spark(module: ModuleType) -> None:
    """Wrap ``mlflow.spark.log_model`` (idempotent), so that a model it saves is named by the
    registered model name and version it returns; never raises."""
    try:
        namespace = vars(module)
        original = namespace["log_model"]
        if getattr(original, _WRAPPED, False):
            return
        wrapper = functools.wraps(original)(_log_model_wrapper(original))
        setattr(wrapper, _WRAPPED, True)
        namespace["log_model"] = wrapper
    except Exception:
        log.warning("spark-lineage: could not follow mlflow.spark.log_model", exc_info=True)


def _log_model_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    def log_model(*args: Any, **kwargs: Any) -> Any:
        if getattr(_logging, "held", None) is not None:  # nested: the outer call names them
            return original(*args, **kwargs)
        _logging.held = []
        try:
            result = original(*args, **kwargs)
            held: list[_Saved] = _logging.held
        finally:
            _logging.held = None
        registered = kwargs.get("registered_model_name")
        artifact = kwargs.get("name") or kwargs.get("artifact_path") or (args[1:2] or [None])[0]
        _submit_logged(held, registered, artifact, result)
        return result

    return log_model


def _submit_logged(held: Sequence[_Saved], registered: Any, artifact: Any, result: Any) -> None:
    """Name the versions saved by one ``log_model`` call after what MLflow made of them: an
    explicit setting first, then the registered name and version, else the artifact's name (and
    the writer's next number: the save went to a temporary folder, whose path names nothing).
    The model URI is MLflow's."""
    try:
        version = getattr(result, "registered_model_version", None) if registered else None
        uri = getattr(result, "model_uri", None)
        for saved in held:
            config = saved.agent.config
            model = dataclasses.replace(
                saved.model,
                name=model_name(
                    explicit=config.model_name,
                    mlflow_name=str(registered or artifact or "") or None,
                    save_path=saved.model.uri,
                ),
                version=model_version(explicit=config.model_version, mlflow_version=version),
                uri=str(uri) if uri else saved.model.uri,
                registered_name=None if registered is None else str(registered),
                registered_version=None if version is None else str(version),
            )
            _submit(dataclasses.replace(saved, model=model))
    except Exception:
        log.warning("spark-lineage: could not record a model logged to MLflow", exc_info=True)


def _model_event(
    agent: Any, training: Training, model: ModelInfo, event_id: str, run: MlflowRun | None
) -> LineageEvent | None:
    """On the worker: capture the training plan, find its inputs and feature sources (nothing
    when ``record_model`` took the model over in the meantime); with an MLflow run, log the
    exact Delta inputs into its dataset tracking."""
    if training.recorded:
        return None
    from spark_lineage.capture.plan import capture_plan
    from spark_lineage.lineage import extract_training_lineage

    plan = capture_plan(training.query_execution, "fit")
    lineage, sources = extract_training_lineage(plan, training.feature_columns)
    located = dataclasses.replace(
        model,
        save_path=_qualified(training.session, model.uri or ""),
        trained_columns=sources,
    )
    if run is not None:
        log_training_inputs(run, training_inputs(lineage.inputs))
    event: LineageEvent = agent.events.for_model(
        located, lineage.inputs, function_name="fit", run_id=event_id
    )
    return event


def _qualified(session: Any, path: str) -> str:
    """The save path as Hadoop resolves it (scheme and absolute path), else as given."""
    try:
        jvm = session._jvm
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        fs = hadoop_path.getFileSystem(session._jsc.hadoopConfiguration())
        return str(fs.makeQualified(hadoop_path).toString())
    except Exception:
        return path
