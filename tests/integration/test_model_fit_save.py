"""Model versions with no code change: ``fit()`` + ``save()`` in an unmodified ``spark-submit`` job.

The job (``tests/jobs/train_model_job.py``) has no lineage code: lineage is on by ``--conf`` only.
It fits a VectorAssembler + LogisticRegression pipeline on a Delta version read with time travel
and saves the model to the same folder in both runs. The graph then holds two versions of the
model (named after its folder), numbered 1 and 2 by the writer, each trained on the exact version
it read, with the feature columns the pipeline used, and none of the model's files as datasets.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import neo4j
import pytest
from spark_submit import BIN, lineage_env, spark_submit

from spark_lineage.tools.spark_conf import delta_spark_conf

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

JOB = Path(__file__).resolve().parents[1] / "jobs" / "train_model_job.py"


def _train(
    uri: str,
    env: dict[str, str],
    work: Path,
    name: str,
    commits: int,
    version: int,
    tracking_uri: str | None = None,
) -> str:
    conf = {
        **delta_spark_conf(),
        "spark.lineage.enabled": "true",  # the one line (plus where the graph is)
        "spark.lineage.neo4j.uri": uri,
        "spark.lineage.namespace": f"fit-save-{name}",
    }
    args = [str(work), str(commits), str(version), name, *([tracking_uri] if tracking_uri else [])]
    return spark_submit(JOB, args, conf, env, done_line=f"DONE {version}").stdout


def _models(driver: neo4j.Driver, save_path: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(
        """
        MATCH (m:Model {save_path: $path})
        OPTIONAL MATCH (m)-[t:TRAINED_ON]->(v:DatasetVersion)
        RETURN m.key AS key, m.version AS version, m.origin AS origin,
               m.feature_columns AS features, collect([v.key, t.columns]) AS trained_on
        ORDER BY key
        """,
        path=save_path,
    )
    return [dict(r) for r in records]


def test_two_runs_that_fit_and_save_make_model_versions_1_and_2_on_the_versions_they_read(
    tmp_path: Path, neo4j_uri: str, neo4j_auth: tuple[str, str], driver: neo4j.Driver
) -> None:
    name = f"churn-{uuid.uuid4().hex[:8]}"  # model names are global in the graph
    env = lineage_env(neo4j_auth, tmp_path / "spool")
    features = f"file::{tmp_path / 'features'}"
    models = tmp_path / "models"

    _train(neo4j_uri, env, tmp_path, name, commits=2, version=0)  # writes v0 and v1; model.save
    _train(neo4j_uri, env, tmp_path, name, commits=1, version=1)  # writes v2; write().overwrite()

    assert _models(driver, f"file:{models / name}") == [
        {
            "key": f"{name}@1",
            "version": "1",
            "origin": "fit_save",
            "features": ["tenure", "spend_k"],
            "trained_on": [[f"{features}@v0", ["spend", "tenure"]]],
        },
        {
            "key": f"{name}@2",
            "version": "2",
            "origin": "fit_save",
            "features": ["tenure", "spend_k"],
            "trained_on": [[f"{features}@v1", ["spend", "tenure"]]],
        },
    ]
    stage_files, _, _ = driver.execute_query(
        "MATCH (d:Dataset) WHERE d.key STARTS WITH $models RETURN d.key AS key",
        models=f"file::{models}",
    )
    assert [r["key"] for r in stage_files] == []

    tree = _cli(env, "reproduce", f"model:{name}@2", "--format", "json", "--uri", neo4j_uri)
    assert tree["key"] == f"{name}@2"
    assert [(i["dataset"], i["version"]) for i in tree["inputs"]] == [(features, 1)]


def _cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [str(BIN / "spark-lineage"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_fit_and_save_inside_an_mlflow_run_links_the_run_and_logs_the_exact_delta_input(
    tmp_path: Path, neo4j_uri: str, neo4j_auth: tuple[str, str], driver: neo4j.Driver
) -> None:
    mlflow = pytest.importorskip("mlflow", reason="the MLflow extra is not installed")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    name = f"churn-{uuid.uuid4().hex[:8]}"
    env = lineage_env(neo4j_auth, tmp_path / "spool")

    out = _train(neo4j_uri, env, tmp_path, name, commits=2, version=1, tracking_uri=tracking_uri)

    run_id, experiment_id = next(
        line.split()[1:] for line in out.splitlines() if line.startswith("RUN ")
    )
    records, _, _ = driver.execute_query(
        "MATCH (m:Model)-[:TRAINED_ON]->(v:DatasetVersion) WHERE m.name STARTS WITH $name "
        "RETURN m.key AS key, m.mlflow_run_id AS run, m.mlflow_experiment_id AS experiment, "
        "m.registered_name AS registered, m.registered_version AS registered_version, "
        "m.uri AS uri, collect(v.key) AS trained_on ORDER BY key",
        name=name,
    )
    features = f"file::{tmp_path / 'features'}@v1"
    # the save to a path is named by the path; the log_model by the registered name and version
    assert [dict(r) for r in records] == [
        {
            "key": f"{name}-registered@1",
            "run": run_id,
            "experiment": experiment_id,
            "registered": f"{name}-registered",
            "registered_version": "1",
            "uri": f"runs:/{run_id}/model",
            "trained_on": [features],
        },
        {
            "key": f"{name}@1",
            "run": run_id,
            "experiment": experiment_id,
            "registered": None,
            "registered_version": None,
            "uri": str(tmp_path / "models" / name),
            "trained_on": [features],
        },
    ]
    client = mlflow.tracking.MlflowClient(tracking_uri=tracking_uri)
    assert client.get_run(run_id).info.artifact_uri.startswith(tmp_path.as_uri())
    inputs = client.get_run(run_id).inputs.dataset_inputs
    assert [
        (i.dataset.name, json.loads(i.dataset.source), {t.key: t.value for t in i.tags})
        for i in inputs
    ] == [
        (
            str(tmp_path / "features"),
            {"path": str(tmp_path / "features"), "delta_table_version": 1},
            {"mlflow.data.context": "training", "delta.version": "1"},
        )
    ]
