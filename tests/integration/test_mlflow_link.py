"""The MLflow bridge against a real MLflow: a sqlite tracking store and model registry in a temp
folder, made by this module (no server, no mocks).

What it pins down: the active run is read on the caller's thread and only there; the model
version registered from a run is found by the run's id; the training inputs land in that run's
dataset tracking with their table, location and Delta version, once each, whatever thread logs
them; and without MLflow the bridge answers ``None`` and never raises.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spark_lineage import mlflow_link
from spark_lineage.mlflow_link import (
    MlflowRun,
    TrainingInput,
    current_run,
    log_training_inputs,
    registered_model,
)

pytestmark = pytest.mark.mlflow

requires_mlflow = pytest.mark.skipif(
    importlib.util.find_spec("mlflow") is None,
    reason="mlflow is not installed: pip install 'spark-lineage[mlflow]'",
)

FEATURES = TrainingInput(name="ml.features", location="file:/lake/ml/features", version=0)
CUSTOMERS = TrainingInput(
    name="/lake/raw/customers", location="file:/lake/raw/customers", version=3
)


@pytest.fixture(scope="module")
def tracking_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One sqlite tracking store (and registry) for the module, the process's MLflow URI meanwhile.

    Creating the store's tables takes seconds, so the tests share it; each test works in an
    experiment of its own.
    """
    import mlflow

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        # A URI set in code elsewhere (mlflow.set_tracking_uri) would win over the variable.
        assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == (uri, uri)
        yield folder


@pytest.fixture
def experiment_id(tracking_store: Path) -> Iterator[str]:
    """A fresh experiment whose artifacts stay in the store's folder (not in the working dir)."""
    import mlflow

    name = f"test-{uuid.uuid4().hex}"
    artifacts = tracking_store / "artifacts" / name
    yield mlflow.create_experiment(name, artifact_location=artifacts.as_uri())
    while mlflow.active_run() is not None:
        mlflow.end_run()


def run_inputs(run_id: str) -> list[dict[str, Any]]:
    """What MLflow holds as the run's dataset inputs, as plain data."""
    from mlflow.tracking import MlflowClient

    return sorted(
        (
            {
                "name": each.dataset.name,
                "source_type": each.dataset.source_type,
                "source": json.loads(each.dataset.source),
                "tags": {tag.key: tag.value for tag in each.tags},
            }
            for each in MlflowClient().get_run(run_id).inputs.dataset_inputs
        ),
        key=lambda each: str(each["name"]),
    )


def register_a_model_version(name: str) -> None:
    """Log a model in the active run and register it as a new version of ``name``.

    The route ``mlflow.<flavor>.log_model(..., registered_model_name=name)`` takes in MLflow 3:
    a LoggedModel of the run, registered through its ``models:/<model_id>`` URI (the model's
    files are not needed to find the version, so the model here has none).
    """
    import mlflow

    model = mlflow.create_external_model(name="model")
    mlflow.register_model(f"models:/{model.model_id}", name)


@requires_mlflow
def test_the_run_active_on_the_calling_thread_is_the_current_run(experiment_id: str) -> None:
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id) as active:
        assert current_run() == MlflowRun(run_id=active.info.run_id, experiment_id=experiment_id)
    assert current_run() is None


@requires_mlflow
def test_a_run_active_on_another_thread_is_not_the_current_run(experiment_id: str) -> None:
    import mlflow

    seen: list[MlflowRun | None] = []
    with mlflow.start_run(experiment_id=experiment_id):
        reader = threading.Thread(target=lambda: seen.append(current_run()))
        reader.start()
        reader.join()
    assert seen == [None]


@requires_mlflow
def test_the_model_version_registered_from_a_run_is_found_by_its_run_id(
    experiment_id: str,
) -> None:
    import mlflow

    name = f"churn-{uuid.uuid4().hex[:8]}"
    with mlflow.start_run(experiment_id=experiment_id) as trained:
        register_a_model_version(name)
    with mlflow.start_run(experiment_id=experiment_id) as retrained:
        register_a_model_version(name)
    with mlflow.start_run(experiment_id=experiment_id) as unregistered:
        pass

    assert registered_model(trained.info.run_id) == (name, "1")
    assert registered_model(retrained.info.run_id) == (name, "2")
    assert registered_model(unregistered.info.run_id) is None


@requires_mlflow
def test_a_run_that_registered_twice_answers_its_newest_version(experiment_id: str) -> None:
    import mlflow

    name = f"churn-{uuid.uuid4().hex[:8]}"
    with mlflow.start_run(experiment_id=experiment_id) as run:
        register_a_model_version(name)
        register_a_model_version(name)

    assert registered_model(run.info.run_id) == (name, "2")


@requires_mlflow
@pytest.mark.integration
@pytest.mark.slow
def test_a_spark_model_logged_with_a_registered_name_is_found_by_its_run_id(
    experiment_id: str, spark: Any
) -> None:
    import mlflow
    import mlflow.spark
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    rows = [(1.0, 0.0, 0), (2.0, 1.0, 1), (3.0, 0.5, 1), (0.5, 0.2, 0)]
    train = spark.createDataFrame(rows, ["tenure", "spend", "label"])
    pipeline = Pipeline(
        stages=[
            VectorAssembler(inputCols=["tenure", "spend"], outputCol="features"),
            LogisticRegression(maxIter=3),
        ]
    )
    name = f"churn-{uuid.uuid4().hex[:8]}"
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.spark.log_model(pipeline.fit(train), "model", registered_model_name=name)

    assert registered_model(run.info.run_id) == (name, "1")


@requires_mlflow
def test_a_run_id_that_is_not_one_finds_nothing_and_does_not_raise(tracking_store: Path) -> None:
    assert registered_model("x' OR name LIKE '%") is None
    assert registered_model("") is None


@requires_mlflow
def test_training_inputs_are_the_runs_datasets_with_table_location_and_version(
    experiment_id: str,
) -> None:
    import mlflow
    from mlflow.data import get_source
    from mlflow.data.delta_dataset_source import DeltaDatasetSource
    from mlflow.tracking import MlflowClient

    with mlflow.start_run(experiment_id=experiment_id):
        run = current_run()
        assert run is not None
        log_training_inputs(run, [FEATURES, CUSTOMERS])

    assert run_inputs(run.run_id) == [
        {
            "name": "/lake/raw/customers",
            "source_type": "delta_table",
            "source": {"path": "file:/lake/raw/customers", "delta_table_version": 3},
            "tags": {"delta.version": "3", "mlflow.data.context": "training"},
        },
        {
            "name": "ml.features",
            "source_type": "delta_table",
            "source": {"path": "file:/lake/ml/features", "delta_table_version": 0},
            "tags": {"delta.version": "0", "mlflow.data.context": "training"},
        },
    ]
    # MLflow reads the source back as its own Delta source, version 0 included.
    sources = [
        get_source(each) for each in MlflowClient().get_run(run.run_id).inputs.dataset_inputs
    ]
    assert all(isinstance(source, DeltaDatasetSource) for source in sources)
    assert sorted((s.path, s.delta_table_version) for s in sources) == [
        ("file:/lake/ml/features", 0),
        ("file:/lake/raw/customers", 3),
    ]


@requires_mlflow
def test_an_input_without_a_delta_version_is_logged_as_a_plain_path(experiment_id: str) -> None:
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id) as active:
        run = MlflowRun(run_id=active.info.run_id, experiment_id=experiment_id)
        log_training_inputs(run, [TrainingInput("/lake/raw/events", "file:/lake/raw/events", None)])

    assert run_inputs(run.run_id) == [
        {
            "name": "/lake/raw/events",
            "source_type": "path",
            "source": {"path": "file:/lake/raw/events"},
            "tags": {"mlflow.data.context": "training"},
        }
    ]


@requires_mlflow
def test_an_input_logged_twice_stays_one_and_another_version_is_another(
    experiment_id: str,
) -> None:
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id) as active:
        run = MlflowRun(run_id=active.info.run_id, experiment_id=experiment_id)
        log_training_inputs(run, [FEATURES, FEATURES])
        log_training_inputs(run, [FEATURES])
        log_training_inputs(run, [TrainingInput(FEATURES.name, FEATURES.location, 1)])

    assert [(each["name"], each["tags"]["delta.version"]) for each in run_inputs(run.run_id)] in (
        [("ml.features", "0"), ("ml.features", "1")],
        [("ml.features", "1"), ("ml.features", "0")],
    )


@requires_mlflow
def test_inputs_go_to_the_given_run_not_to_the_run_active_on_the_logging_thread(
    experiment_id: str,
) -> None:
    import mlflow

    other: list[str] = []

    def log_from_a_thread_with_its_own_run(training: MlflowRun) -> None:
        with mlflow.start_run(experiment_id=experiment_id) as own:
            other.append(own.info.run_id)
            log_training_inputs(training, [FEATURES])

    with mlflow.start_run(experiment_id=experiment_id):
        training = current_run()
        assert training is not None
        worker = threading.Thread(target=log_from_a_thread_with_its_own_run, args=(training,))
        worker.start()
        worker.join()

    assert [each["name"] for each in run_inputs(training.run_id)] == ["ml.features"]
    assert run_inputs(other[0]) == []


@requires_mlflow
def test_a_failure_to_log_is_one_warning_and_never_reaches_the_job(
    tracking_store: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mlflow_link, "_warned", set())  # as in a fresh process
    missing = MlflowRun(run_id=uuid.uuid4().hex, experiment_id="0")
    with caplog.at_level(logging.DEBUG, logger="spark_lineage.mlflow_link"):
        log_training_inputs(missing, [FEATURES])
        log_training_inputs(missing, [FEATURES])

    records = [r for r in caplog.records if "training inputs" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.WARNING, logging.DEBUG]
    assert missing.run_id in records[0].getMessage()


BLOCKED = """
import sys
sys.modules["mlflow"] = None  # `import mlflow` now raises ImportError, as when it is missing
from spark_lineage.mlflow_link import MlflowRun, TrainingInput, current_run
from spark_lineage.mlflow_link import log_training_inputs, registered_model
run = MlflowRun(run_id="0123abcd", experiment_id="0")
log_training_inputs(run, [TrainingInput("t", "file:/t", 1)])
print(current_run(), registered_model("0123abcd"))
"""

NOT_IMPORTED = """
import sys
from spark_lineage.mlflow_link import current_run
print(current_run(), "mlflow" in sys.modules)
"""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


def test_without_mlflow_there_is_no_run_no_model_and_nothing_raises() -> None:
    done = run_python(BLOCKED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"
    assert "MLflow is not installed" in done.stderr


def test_a_job_that_did_not_import_mlflow_has_no_run_and_does_not_load_it() -> None:
    done = run_python(NOT_IMPORTED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None False"
