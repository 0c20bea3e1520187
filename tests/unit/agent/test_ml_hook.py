"""The Spark ML hook: wraps fit() and the writers' save() once, keeps their signature and result,
does nothing without an attached agent, never raises into the job, and records only the outermost
save of a model this process fitted."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from pyspark.ml import Estimator, Model, Pipeline
from pyspark.ml.param.shared import HasFeaturesCol, HasInputCol, HasInputCols
from pyspark.ml.util import JavaMLWriter, MLWriter

import spark_lineage.agent
from spark_lineage import ml_hook
from spark_lineage.config import AgentConfig


class Assembler(HasInputCols):
    def __init__(self, columns: list[str]) -> None:
        super().__init__()
        self._set(inputCols=columns)


class Scaler(HasInputCol):
    def __init__(self, column: str) -> None:
        super().__init__()
        self._set(inputCol=column)


class Fitted(Model):
    def _transform(self, dataset: Any) -> Any:
        return dataset


class Trainer(Estimator[Fitted], HasFeaturesCol):
    def _fit(self, dataset: Any) -> Fitted:
        return Fitted()


class Writer(MLWriter):
    def __init__(self, instance: Any, inner: Any = None) -> None:
        super().__init__()
        self.instance = instance
        self.inner = inner
        self.saved: list[str] = []

    def saveImpl(self, path: str) -> None:
        self.saved.append(path)
        if self.inner is not None:
            self.inner.save(f"{path}/stages/0")  # as a pipeline saves its stages


@dataclass
class FakeDataset:
    columns: list[str]
    sparkSession: Any = "session"

    @property
    def _jdf(self) -> Any:
        return self

    def queryExecution(self) -> str:
        return "qe"


@dataclass
class FakeAgent:
    config: AgentConfig = field(default_factory=AgentConfig)
    deferred: list[Any] = field(default_factory=list)

    def submit_later(self, deferred: Any) -> bool:
        self.deferred.append(deferred)
        return True


@pytest.fixture(autouse=True)
def patched() -> None:
    ml_hook.patch_ml()


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> FakeAgent:
    fake = FakeAgent()
    monkeypatch.setattr(spark_lineage.agent, "attached_agent", lambda session: fake)
    return fake


def test_patching_twice_wraps_once_and_keeps_the_signatures() -> None:
    ml_hook.patch_ml()

    for method in (Estimator.fit, MLWriter.save, JavaMLWriter.save, JavaMLWriter.__init__):
        original = method.__wrapped__  # type: ignore[attr-defined]
        assert not getattr(original, "_spark_lineage_wrapped", False)
        assert inspect.signature(method) == inspect.signature(original)


def test_without_an_attached_agent_fit_returns_the_model_and_remembers_nothing() -> None:
    model = Trainer().fit(FakeDataset(["a"]))

    assert isinstance(model, Fitted)
    assert not hasattr(model, "_spark_lineage_training")


def test_a_failing_lineage_step_logs_one_warning_and_the_fit_goes_on(
    agent: FakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(FakeDataset):
        def queryExecution(self) -> str:
            raise RuntimeError("py4j is gone")

    with caplog.at_level(logging.WARNING):
        model = Trainer().fit(Broken(["a"]))

    assert isinstance(model, Fitted)
    assert [r.getMessage() for r in caplog.records] == [
        "spark-lineage: could not follow a Spark ML fit()"
    ]


def test_fit_remembers_the_plan_and_the_feature_columns_on_the_model(agent: FakeAgent) -> None:
    trainer = Trainer()
    trainer._set(featuresCol="b")
    model = trainer.fit(FakeDataset(["a", "b", "label"]))

    training = model._spark_lineage_training  # type: ignore[attr-defined]
    assert (training.query_execution, training.feature_columns) == ("qe", ("b",))


def test_a_pipeline_s_features_are_its_stages_input_columns_that_the_data_has() -> None:
    pipeline = Pipeline(stages=[Scaler("Spend"), Assembler(["tenure", "spend", "made_here"])])

    found = ml_hook.feature_columns(pipeline, ["id", "tenure", "spend", "label"])

    assert found == ("spend", "tenure")  # in stage order, spelled as the data spells them


def test_without_named_feature_columns_every_column_is_a_feature() -> None:
    assert ml_hook.feature_columns(Trainer(), ["x", "y"]) == ("x", "y")


def test_saving_a_fitted_model_submits_one_event_named_from_the_path(agent: FakeAgent) -> None:
    model = Trainer().fit(FakeDataset(["a"]))
    stage = Trainer().fit(FakeDataset(["a"]))
    writer = Writer(model, inner=Writer(stage))

    writer.save("/models/churn/v3")

    assert writer.saved == ["/models/churn/v3"]
    assert writer.inner.saved == ["/models/churn/v3/stages/0"]
    assert [d.what for d in agent.deferred] == ["model churn saved to /models/churn/v3"]
    built = agent.deferred[0].build.args[2]  # functools.partial(_model_event, agent, training, m)
    assert (built.name, built.version, built.origin) == ("churn", "3", "fit_save")


def test_the_explicit_setting_names_and_numbers_the_saved_model(agent: FakeAgent) -> None:
    agent.config = AgentConfig(model_name="churn", model_version="7")
    model = Trainer().fit(FakeDataset(["a"]))

    Writer(model).save("/models/whatever")

    built = agent.deferred[0].build.args[2]
    assert (built.name, built.version) == ("churn", "7")


def test_saving_a_model_this_process_did_not_fit_records_nothing(agent: FakeAgent) -> None:
    Writer(Fitted()).save("/models/loaded")

    assert agent.deferred == []


def test_record_model_on_the_training_data_takes_over_a_model_saved_before(
    agent: FakeAgent,
) -> None:
    data = FakeDataset(["a"])
    Writer(Trainer().fit(data)).save("/models/churn")
    saved_event_id = agent.deferred[0].build.args[3]

    assert ml_hook.claim_training(data) == saved_event_id
    assert agent.deferred[0].build() is None  # not built yet: the save sends nothing of its own


def test_after_record_model_took_the_training_over_a_save_records_nothing(
    agent: FakeAgent,
) -> None:
    data = FakeDataset(["a"])
    model = Trainer().fit(data)

    assert ml_hook.claim_training(data) is None
    Writer(model).save("/models/churn")

    assert agent.deferred == []


def test_record_model_on_data_nobody_fitted_takes_over_nothing() -> None:
    assert ml_hook.claim_training(FakeDataset(["a"])) is None
