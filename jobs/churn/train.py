"""Churn pipeline, step 4: train a churn model on one exact version of the feature table.

``--features-version`` pins the Delta version trained on (time travel), so the model can be
rebuilt later from the same data. The job has no lineage code: with the agent's one config line,
``fit()`` followed by ``save()`` records the model version (named ``churn-model``, version N from
the save path ``models/churn-model/vN``), trained on the exact Delta versions the fit read, with
its feature columns (docs/models.md).
"""

from __future__ import annotations

import argparse
import json

from delta.tables import DeltaTable
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler
from pyspark.sql import SparkSession

NUMERIC = [
    "monthly_fee",
    "tenure_days",
    "total_minutes",
    "avg_data_mb",
    "support_calls",
    "active_days",
    "minutes_trend",
    "activity_rank",
    "engagement_score",
]
#: Feature columns used when the features table has them (added on day 2).
OPTIONAL = ["minutes_per_active_day"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="lake root folder")
    parser.add_argument("--features-version", type=int, default=None, help="default: latest")
    parser.add_argument("--model-version", default="1")
    args = parser.parse_args()

    spark = SparkSession.builder.appName("churn-train").getOrCreate()
    features_path = f"{args.root}/features/churn"
    version = args.features_version
    if version is None:
        version = DeltaTable.forPath(spark, features_path).history(1).collect()[0]["version"]
    data = spark.read.format("delta").option("versionAsOf", version).load(features_path)

    numeric = [*NUMERIC, *(c for c in OPTIONAL if c in data.columns)]
    train, test = data.randomSplit([0.8, 0.2], seed=42)
    pipeline = Pipeline(
        stages=[
            StringIndexer(inputCols=["country", "plan"], outputCols=["country_ix", "plan_ix"]),
            OneHotEncoder(
                inputCols=["country_ix", "plan_ix"], outputCols=["country_oh", "plan_oh"]
            ),
            VectorAssembler(inputCols=[*numeric, "country_oh", "plan_oh"], outputCol="features"),
            LogisticRegression(featuresCol="features", labelCol="churned", maxIter=20),
        ]
    )
    model = pipeline.fit(train)
    auc = BinaryClassificationEvaluator(labelCol="churned").evaluate(model.transform(test))

    model_uri = f"{args.root}/models/churn-model/v{args.model_version}"
    model.write().overwrite().save(model_uri)
    print(json.dumps({"model": model_uri, "features_version": version, "auc": round(auc, 4)}))
    spark.stop()


if __name__ == "__main__":
    main()
