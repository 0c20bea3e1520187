"""The README's main job, end to end: the churn pipeline as separate spark-submit jobs.

Lineage is turned on by the one config line only (``jobs/run_pipeline.py`` adds
``--conf spark.lineage.enabled=true`` and the Neo4j URI; the jobs import nothing of ours, and
the two model versions come from ``fit()`` + ``save()``). The first training job runs on
``local-cluster``. The graph in the real Neo4j must then answer the product's questions exactly:
which raw table versions trained the model, which versions built the second day's features, what
depends on the raw email, how the features changed (history) and what changed between model v1
and v2 (diff).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import neo4j
import pytest

from spark_lineage.impact.api import impact
from spark_lineage.reproduce import InputVersion, reproduce

pytestmark = [
    pytest.mark.integration,
    pytest.mark.neo4j,
    pytest.mark.slow,
    pytest.mark.cluster,
    pytest.mark.timeout(2400),  # eight spark-submit jobs: minutes on a busy 2-core machine
]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lake(
    tmp_path_factory: pytest.TempPathFactory, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> Path:
    """Run the whole pipeline once (two days of data, a model on each) with lineage into Neo4j."""
    root = tmp_path_factory.mktemp("demo") / "lake"
    env = {
        **os.environ,
        "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1],
        "SPARK_LINEAGE_SPOOL_DIR": str(root.parent / "spool"),
    }
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "jobs" / "run_pipeline.py"),
            "--root",
            str(root),
            "--customers",
            "300",
            "--neo4j-uri",
            neo4j_uri,
            "--openlineage-path",
            str(root.parent / "openlineage.jsonl"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count(" ok (") == 8, result.stdout
    return root



def versions(items: Iterable[InputVersion]) -> set[tuple[str, int | None]]:
    """(table under the lake, version) of each input."""
    return {(item.dataset_key.split("/lake/")[1], item.version) for item in items}


def test_the_model_traces_back_to_the_exact_raw_versions_of_day_one(
    lake: Path, driver: neo4j.Driver
) -> None:
    tree = reproduce(driver, "model:churn-model@1")

    assert versions(tree.inputs) == {("features/churn", 0)}
    assert versions(tree.leaves()) == {
        ("raw/customers", 0),
        ("raw/subscriptions", 0),
        ("raw/usage", 0),
    }


def test_day_two_features_trace_through_the_merge_to_both_raw_customer_versions(
    lake: Path, driver: neo4j.Driver
) -> None:
    tree = reproduce(driver, f"{lake}/features/churn@1")

    assert versions(tree.inputs) == {
        ("clean/customers", 1),
        ("clean/subscriptions", 1),
        ("raw/usage", 1),
    }
    merged = next(i for i in tree.inputs if i.dataset_key.endswith("clean/customers"))
    assert merged.produced_by is not None and merged.produced_by.operation == "MERGE"
    # The MERGE read the cleaned table it updated (v0) and day two's raw customers (v1).
    assert versions(merged.produced_by.inputs) == {("clean/customers", 0), ("raw/customers", 1)}


def test_the_raw_email_flows_in_clear_to_the_clean_table_and_masked_into_the_features(
    lake: Path, driver: neo4j.Driver
) -> None:
    report = impact(driver, f"{lake}/raw/customers.email")

    reached = {
        (row.dataset_key.split("/lake/")[1], row.column, row.direct, row.masking)
        for row in report.rows
    }
    assert reached == {
        ("clean/customers", "email", True, False),
        ("features/churn", "customer_key", True, True),
    }


def test_the_openlineage_events_carry_the_delta_versions_written_and_read(lake: Path) -> None:
    events = [
        json.loads(line)
        for line in (lake.parent / "openlineage.jsonl").read_text().splitlines()
        if line.strip()
    ]

    def versions_of(side: str, name: str) -> set[str]:
        return {
            dataset["facets"]["version"]["datasetVersion"]
            for event in events
            for dataset in event.get(side, [])
            if dataset["name"].endswith(name) and "version" in dataset.get("facets", {})
        }

    assert versions_of("outputs", "/features/churn") == {"0", "1"}
    assert versions_of("outputs", "/clean/customers") == {"0", "1"}  # day 2 is the MERGE
    assert "0" in versions_of("inputs", "/features/churn")  # what the model trained on


def test_each_lake_table_is_one_dataset_and_each_output_one_job_across_both_days(
    lake: Path, driver: neo4j.Driver
) -> None:
    prefix = f"file::{lake}/"
    with driver.session() as session:
        tables = {r["key"][len(prefix):] for r in session.run(
            "MATCH (d:Dataset) WHERE d.key STARTS WITH $prefix RETURN d.key AS key",
            prefix=prefix)}
        jobs = {r["job"] for r in session.run(
            "MATCH (j:Job)-[:WRITES]->(d:Dataset) WHERE d.key STARTS WITH $prefix "
            "RETURN DISTINCT j.name AS job", prefix=prefix)}

    # the model's own files (metadata/, stages/*/data) are no datasets
    assert tables == {"raw/customers", "raw/subscriptions", "raw/usage", "clean/customers",
                      "clean/subscriptions", "features/churn"}
    # one job per application and output, whatever the mode (day 2 appends and MERGEs), with no
    # function, write mode or machine path in its name
    assert jobs == {"churn_ingest.customers", "churn_ingest.subscriptions", "churn_ingest.usage",
                    "churn_clean.customers", "churn_clean.subscriptions", "churn_features.churn"}


def test_in_memory_sources_belong_to_the_application_that_made_them(
    lake: Path, driver: neo4j.Driver
) -> None:
    prefix = f"file::{lake}/"
    with driver.session() as session:
        readers = [(r["source"], r["apps"]) for r in session.run(
            "MATCH (m:Dataset {namespace: 'memory'})<-[:READ]-(r:Run)-[:WROTE]->(d:Dataset) "
            "WHERE d.key STARTS WITH $prefix "
            "RETURN m.name AS source, collect(DISTINCT r.app_name) AS apps", prefix=prefix)]

    assert readers, "the pipeline reads in-memory data (spark.range, createDataFrame)"
    for source, apps in readers:
        assert len(apps) == 1, f"{source} is shared by {apps}"
        assert source.startswith(apps[0].replace("-", "_") + "/"), (source, apps)


def _cli_json(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path, *args: str
) -> dict[str, Any]:
    """``spark-lineage ARGS --format json`` as the user runs it, against the test Neo4j."""
    config = tmp_path / "empty.toml"
    config.write_text("")
    env = {
        **os.environ,
        "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
        "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1],
        "SPARK_LINEAGE_CONFIG": str(config),
    }
    result = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", *args, "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_both_models_are_recorded_from_fit_and_save_with_no_lineage_code(
    lake: Path, driver: neo4j.Driver
) -> None:
    records, _, _ = driver.execute_query(
        "MATCH (m:Model {name: 'churn-model'})-[:TRAINED_ON]->(v:DatasetVersion) "
        "RETURN m.version AS version, m.origin AS origin, m.feature_columns AS features, "
        "collect(v.key) AS trained_on ORDER BY version"
    )
    features = f"file::{lake}/features/churn"
    assert [(r["version"], r["origin"], r["trained_on"]) for r in records] == [
        ("1", "fit_save", [f"{features}@v0"]),
        ("2", "fit_save", [f"{features}@v1"]),
    ]
    assert "minutes_per_active_day" not in records[0]["features"]
    assert "minutes_per_active_day" in records[1]["features"]


def test_history_of_the_features_shows_both_days_with_the_day_two_label_and_note(
    lake: Path, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    doc = _cli_json(neo4j_uri, neo4j_auth, tmp_path, "history", f"{lake}/features/churn")

    versions = doc["versions"]
    assert [(v["version"], v["operation"]) for v in versions] == [("1", "WRITE"), ("0", "WRITE")]
    day_two = versions[0]
    assert day_two["labels"] == [
        {"name": "v1.1", "note": "late updates merged, new minutes_per_active_day"}
    ]
    assert day_two["user"] and day_two["job"] == "churn_features.churn"
    assert int(day_two["operation_metrics"]["numOutputRows"]) > 0


def test_diff_of_the_two_models_shows_the_new_feature_the_features_version_and_the_merge(
    lake: Path, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    doc = _cli_json(
        neo4j_uri, neo4j_auth, tmp_path, "diff", "model:churn-model@1", "model:churn-model@2"
    )

    assert [n["name"] for n in doc["features"]["added"]] == ["minutes_per_active_day"]
    (features,) = doc["inputs_changed"]
    assert (features["name"], features["before"], features["after"]) == (
        f"{lake}/features/churn", 0, 1
    )
    assert [c["name"] for c in features["columns"]["added"]] == ["minutes_per_active_day"]
    # the only column change: the day-1 columns keep their types (customer_key is a sha2 string)
    assert (features["columns"]["removed"], features["columns"]["retyped"]) == ([], [])
    assert [c["operation"] for c in features["commits"]] == ["WRITE"]
    upstream = {u["name"].split("/lake/")[1]: u for u in features["upstream_changed"]}
    merge = upstream["clean/customers"]
    assert (merge["before"], merge["after"]) == (0, 1)
    assert [c["operation"] for c in merge["commits"]] == ["MERGE"]
    assert int(merge["commits"][0]["operation_metrics"]["numTargetRowsInserted"]) > 0
