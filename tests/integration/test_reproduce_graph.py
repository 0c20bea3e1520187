"""``reproduce``: the exact input versions behind a table version or a model, from the graph.

A three-hop pipeline is written through the real GraphWriter into the real Neo4j: raw@v3 is read
by ``clean`` (writing clean@v5), clean@v5 and an unversioned CSV by ``features`` (writing
features@v2), and a model trained on features@v2. A later run writes clean@v6 from raw@v4, which
must not leak into the answer for features@v2. An unversioned parquet table is followed to the
last run that wrote it before it was read.
"""

from __future__ import annotations

import json
import uuid

import neo4j
import pytest
from lineage_events import input_at, lineage_event, output_at

from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import DatasetRef, LineageEvent, ModelInfo
from spark_lineage.names import UnknownName
from spark_lineage.reproduce import format_json, format_tree, reproduce

pytestmark = pytest.mark.neo4j



class Lake:
    def __init__(self) -> None:
        self.root = f"/itest-reproduce-{uuid.uuid4().hex[:10]}"
        self.raw = DatasetRef("file", f"{self.root}/raw", "delta")
        self.clean = DatasetRef("file", f"{self.root}/clean", "delta")
        self.codes = DatasetRef("file", f"{self.root}/codes.csv", "csv")
        self.features = DatasetRef("file", f"{self.root}/features", "delta", None)
        self.model = f"churn-{uuid.uuid4().hex[:6]}"


def run(
    job: str,
    reads: list[tuple[DatasetRef, int | None]],
    writes: tuple[DatasetRef, int | None] | None,
    at: int,
    model: ModelInfo | None = None,
) -> LineageEvent:
    return lineage_event(
        "itest-reproduce",
        job,
        at,
        inputs=(input_at(ds, v) for ds, v in reads),
        output=output_at(*writes, mode="overwrite") if writes else None,
        model=model,
    )


@pytest.fixture
def lake(driver: neo4j.Driver) -> Lake:
    lake = Lake()
    writer = GraphWriter(driver)
    writer.write(run("ingest", [], (lake.raw, 3), 1_000_000))
    writer.write(run("clean", [(lake.raw, 3)], (lake.clean, 5), 1_000_100))
    features_inputs: list[tuple[DatasetRef, int | None]] = [(lake.clean, 5), (lake.codes, None)]
    writer.write(run("features", features_inputs, (lake.features, 2), 1_000_200))
    writer.write(
        run(
            "train",
            [(lake.features, 2)],
            None,
            1_000_300,
            model=ModelInfo(lake.model, "1", uri="/models/churn/1", metrics={"auc": 0.81}),
        )
    )
    writer.write(run("ingest", [], (lake.raw, 4), 1_000_400))
    writer.write(run("clean", [(lake.raw, 4)], (lake.clean, 6), 1_000_500))
    return lake


def test_a_table_version_traces_to_the_exact_versions_three_hops_up(
    driver: neo4j.Driver, lake: Lake
) -> None:
    tree = reproduce(driver, f"{lake.features.name}@2")

    assert tree.job_name == "features"
    assert {(i.dataset_key, i.version) for i in tree.inputs} == {
        (lake.clean.key, 5),
        (lake.codes.key, None),
    }
    clean = next(i for i in tree.inputs if i.dataset_key == lake.clean.key).produced_by
    assert clean is not None and clean.job_name == "clean"
    assert [(i.dataset_key, i.version) for i in clean.inputs] == [(lake.raw.key, 3)]
    raw = clean.inputs[0].produced_by
    assert raw is not None and raw.job_name == "ingest" and raw.inputs == ()
    # Where rebuilding starts: raw@v3 (its ingest read nothing recorded) and the unversioned CSV.
    assert sorted((leaf.dataset_key, leaf.version or -1) for leaf in tree.leaves()) == sorted(
        [(lake.raw.key, 3), (lake.codes.key, -1)]
    )


def test_a_model_traces_to_its_training_version_and_on_to_the_raw_version(
    driver: neo4j.Driver, lake: Lake
) -> None:
    tree = reproduce(driver, f"model:{lake.model}@1")

    assert tree.label == f"model {lake.model}@1"
    assert [(i.dataset_key, i.version) for i in tree.inputs] == [(lake.features.key, 2)]
    text = format_tree(tree)
    assert f"{lake.raw.name}@v3" in text and f"{lake.raw.name}@v4" not in text
    assert f"{lake.clean.name}@v5" in text and "@v6" not in text
    assert 'option("versionAsOf", 5)' not in text  # clean is rebuilt, not a raw input
    document = json.loads(format_json(tree))
    assert document["inputs"][0]["produced_by"]["job"] == "features"


def test_without_a_version_the_newest_version_is_reproduced(
    driver: neo4j.Driver, lake: Lake
) -> None:
    tree = reproduce(driver, lake.clean.name)

    assert tree.version == "6"
    assert [(i.dataset_key, i.version) for i in tree.inputs] == [(lake.raw.key, 4)]


def test_an_unknown_version_is_a_clear_error(driver: neo4j.Driver, lake: Lake) -> None:
    with pytest.raises(UnknownName, match=r"no version 9 .*; versions: 5\u20136$"):
        reproduce(driver, f"{lake.clean.name}@9")
    with pytest.raises(UnknownName, match="no model named 'never-trained'"):
        reproduce(driver, "model:never-trained@1")


@pytest.mark.parametrize("version", ["abc", "-1", "v"])
def test_a_version_that_is_no_number_names_the_versions_there_are(
    driver: neo4j.Driver, lake: Lake, version: str
) -> None:
    with pytest.raises(UnknownName) as raised:
        reproduce(driver, f"{lake.clean.name}@{version}")

    assert str(raised.value) == (
        f"no version or label {version!r} of {lake.clean.key}; versions: 5\u20136"
    )


def test_recording_a_model_version_again_replaces_its_training_inputs(
    driver: neo4j.Driver, lake: Lake
) -> None:
    writer = GraphWriter(driver)
    retrained = ModelInfo(lake.model, "1", uri="/models/churn/1")
    newer = run("train", [(lake.clean, 6)], None, 1_000_600, model=retrained)
    older = run("train", [(lake.raw, 3)], None, 1_000_250, model=retrained)
    writer.write(newer)
    writer.write(older)  # a late replay of an older recording changes nothing

    tree = reproduce(driver, f"model:{lake.model}@1")

    assert [(i.dataset_key, i.version) for i in tree.inputs] == [(lake.clean.key, 6)]
    assert tree.run_id == newer.run_id


def test_an_unversioned_input_is_followed_to_the_last_run_that_wrote_it_before_the_read(
    driver: neo4j.Driver, lake: Lake
) -> None:
    staging = DatasetRef("file", f"{lake.root}/staging", "parquet")
    report = DatasetRef("file", f"{lake.root}/report", "delta")
    writer = GraphWriter(driver)
    first = run("stage", [(lake.raw, 3)], (staging, None), 2_000_000)
    writer.write(first)
    writer.write(run("report", [(staging, None)], (report, 1), 2_002_000))  # started 2_001_000
    writer.write(run("stage", [(lake.raw, 4)], (staging, None), 2_005_000))  # after the read

    tree = reproduce(driver, f"{report.name}@1")

    [read] = tree.inputs
    assert (read.dataset_key, read.version, read.version_status) == (
        staging.key, None, "unversioned"
    )
    assert read.produced_by is not None
    assert (read.produced_by.job_name, read.produced_by.run_id) == ("stage", first.run_id)
    assert read.produced_by.operation == "OVERWRITE"
    assert [(i.dataset_key, i.version) for i in read.produced_by.inputs] == [(lake.raw.key, 3)]
    assert [(leaf.dataset_key, leaf.version) for leaf in tree.leaves()] == [(lake.raw.key, 3)]
    text = format_tree(tree)
    assert "staging (not versioned: last write before the run)  <- OVERWRITE by job stage" in text
    assert f"{lake.raw.name}@v4" not in text


def test_an_unversioned_input_no_run_wrote_before_the_read_stays_a_leaf(
    driver: neo4j.Driver, lake: Lake
) -> None:
    late = DatasetRef("file", f"{lake.root}/late", "parquet")
    out = DatasetRef("file", f"{lake.root}/out", "delta")
    writer = GraphWriter(driver)
    writer.write(run("use", [(late, None)], (out, 0), 3_000_000))
    writer.write(run("make", [(lake.raw, 4)], (late, None), 3_001_000))  # written after the read

    tree = reproduce(driver, f"{out.name}@0")

    assert [(i.dataset_key, i.produced_by) for i in tree.inputs] == [(late.key, None)]
    assert "no recorded run wrote it before the run read it" in format_tree(tree)
