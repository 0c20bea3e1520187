"""``record_model``: link a trained model to the exact dataset versions it was trained on.

The training DataFrame's plan is captured like any query (the same capture and lineage code the
listener runs), so the Delta versions it read, time travel included, come from Spark itself rather
than from what the user says. The event goes out through the agent attached to the session, in
order with the job's other lineage, and lands in the graph as
``(:Model)-[:TRAINED_ON]->(:DatasetVersion)``. With MLflow installed and a run active, its run id
is recorded on the model too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spark_lineage.model import InputDataset, LineageEvent, ModelInfo
from spark_lineage.model_naming import model_version

log = logging.getLogger(__name__)


def record_model(
    name: str,
    version: str | int | None,
    training_data: Any,
    *,
    uri: str | None = None,
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    framework: str = "spark-ml",
) -> LineageEvent | None:
    """Record that model ``name@version`` was trained on ``training_data`` (a DataFrame).

    Returns the event sent (or ``None`` when it could not be built); never raises into the job.
    The inputs are the datasets the DataFrame reads, with the exact versions Spark resolved.
    ``version`` None: the next number for ``name``, assigned when the graph is written.
    """
    try:
        from spark_lineage.agent import LineageAgent, attach

        agent = attach(training_data.sparkSession)
        if not isinstance(agent, LineageAgent):
            log.warning("spark-lineage: model %s@%s not recorded: agent disabled", name, version)
            return None
        from spark_lineage.ml_hook import claim_training
        from spark_lineage.mlflow_link import current_run, log_training_inputs, training_inputs

        run = current_run()  # on the caller's thread: MLflow's active run is per thread
        model = ModelInfo(
            name=name,
            version=model_version(explicit=version),
            uri=uri,
            framework=framework,
            metrics={str(k): float(v) for k, v in (metrics or {}).items()},
            params={str(k): str(v) for k, v in (params or {}).items()},
            mlflow_run_id=None if run is None else run.run_id,
            mlflow_experiment_id=None if run is None else run.experiment_id,
            replaces_event_id=claim_training(training_data),
        )
        inputs = _training_inputs(training_data)
        if run is not None:
            log_training_inputs(run, training_inputs(inputs))
        event = agent.events.for_model(model, inputs)
        agent.submit(event)
        return event
    except Exception:
        log.warning("spark-lineage: could not record model %s@%s", name, version, exc_info=True)
        return None


def _training_inputs(training_data: Any) -> tuple[InputDataset, ...]:
    from spark_lineage.capture.plan import capture_plan
    from spark_lineage.lineage import extract_lineage

    plan = capture_plan(training_data._jdf.queryExecution(), "record_model")
    return extract_lineage(plan).inputs

