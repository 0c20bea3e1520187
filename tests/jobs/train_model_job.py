"""An ordinary Spark ML training job with no lineage code: a pipeline fitted on a Delta version.

Usage: train_model_job.py <work dir> <commits> <version> <model> [<MLflow tracking URI>].
Appends <commits> batches of customers to the Delta table <work dir>/features, reads its version
<version> back with time travel, fits a VectorAssembler + LogisticRegression pipeline on it and
saves the model to <work dir>/models/<model> (``model.save`` on a new folder,
``write().overwrite().save`` over an existing one). With a tracking URI, the fit and the save run
inside an MLflow run, as a team that tracks its experiments writes it, the model is also logged
with ``mlflow.spark.log_model`` and registered as ``<model>-registered``, and the job prints
``RUN <run id> <experiment id>``. Prints ``DONE <version>``.
"""

import os
import sys
from pathlib import Path

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def append_customers(spark: SparkSession, table: str, batch: int) -> None:
    rows = [(batch * 100 + i, i % 24, 50.0 * i + batch, i % 5, i % 2) for i in range(20)]
    frame = spark.createDataFrame(rows, "id long, tenure int, spend double, region int, label int")
    frame.write.format("delta").mode("append").save(table)


def train(
    spark: SparkSession, work_dir: str, commits: int, version: int, name: str
) -> PipelineModel:
    table = f"{work_dir}/features"
    for batch in range(commits):
        append_customers(spark, table, batch)
    training = (
        spark.read.format("delta")
        .option("versionAsOf", version)
        .load(table)
        .withColumn("spend_k", F.col("spend") / 1000)
    )
    pipeline = Pipeline(
        stages=[
            VectorAssembler(inputCols=["tenure", "spend_k"], outputCol="features"),
            LogisticRegression(featuresCol="features", labelCol="label", maxIter=5),
        ]
    )
    model = pipeline.fit(training)
    target = f"{work_dir}/models/{name}"
    if os.path.exists(target):
        model.write().overwrite().save(target)
    else:
        model.save(target)
    return model


if __name__ == "__main__":
    session = SparkSession.builder.appName("churn-training").getOrCreate()
    arguments = (session, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    if len(sys.argv) > 5:
        import mlflow
        import mlflow.spark

        mlflow.set_tracking_uri(sys.argv[5])
        # the run's artifacts beside the sqlite store, not in ./mlruns of the working directory
        store = Path(sys.argv[5].removeprefix("sqlite:///")).parent
        experiment = mlflow.create_experiment(
            "churn-training", artifact_location=(store / "artifacts").as_uri()
        )
        with mlflow.start_run(experiment_id=experiment) as run:
            fitted = train(*arguments)
            mlflow.spark.log_model(
                fitted, "model", registered_model_name=f"{sys.argv[4]}-registered"
            )
            print("RUN", run.info.run_id, run.info.experiment_id)
    else:
        train(*arguments)
    print("DONE", sys.argv[3])
