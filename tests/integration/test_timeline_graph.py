"""``label`` and ``history``, as a user runs them, against the real Neo4j.

A features table gets three versions from two jobs (an overwrite, a MERGE with Delta's metrics
and a change description, an append), and a model is trained twice. The commands are run through
the CLI's own entry point, and the answers read from its JSON and its table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

import neo4j
import pytest
from lineage_events import input_at, lineage_event, output_at

from spark_lineage.cli import main
from spark_lineage.graph.prune import prune
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import AppContext, DatasetRef, LineageEvent, ModelInfo, VersionInfo
from spark_lineage.names import UnknownName
from spark_lineage.reproduce import reproduce

pytestmark = pytest.mark.neo4j

MERGE_METRICS = {"numTargetRowsInserted": "40", "numTargetRowsUpdated": "7", "numOutputRows": "47"}


class Lake:
    def __init__(self) -> None:
        root = f"/itest-timeline-{uuid.uuid4().hex[:10]}"
        self.raw = DatasetRef("file", f"{root}/raw", "delta")
        self.features = DatasetRef("file", f"{root}/features", "delta")
        self.model = f"churn-{uuid.uuid4().hex[:6]}"
        self.runs: dict[str, str] = {}


def _event(
    lake: Lake,
    step: str,
    at: int,
    *,
    reads: tuple[tuple[DatasetRef, int], ...] = (),
    writes: tuple[DatasetRef, VersionInfo] | None = None,
    model: ModelInfo | None = None,
    user: str = "etl-bot",
) -> LineageEvent:
    event = lineage_event(
        "itest-timeline",
        step.rstrip("0123456789"),
        at,
        inputs=(input_at(ds, v) for ds, v in reads),
        output=output_at(*writes) if writes else None,
        model=model,
        app=AppContext(app_id=f"app-{step}", app_name=step, user=user),
    )
    lake.runs[step] = event.run_id
    return event


@pytest.fixture
def lake(driver: neo4j.Driver) -> Lake:
    lake = Lake()
    writer = GraphWriter(driver)
    day = 86_400_000
    writer.write(_event(lake, "ingest", day, writes=(lake.raw, VersionInfo(0, day, "WRITE"))))
    writer.write(
        _event(
            lake,
            "features1",
            day + 100,
            reads=((lake.raw, 0),),
            writes=(lake.features, VersionInfo(0, day + 100, "CREATE OR REPLACE TABLE AS SELECT")),
        )
    )
    writer.write(
        _event(
            lake,
            "train1",
            day + 200,
            reads=((lake.features, 0),),
            model=ModelInfo(lake.model, "1"),
            user="ana",
        )
    )
    merge = VersionInfo(
        1,
        2 * day,
        "MERGE",
        operation_parameters={"predicate": '["(s.id = t.id)"]'},
        operation_metrics=MERGE_METRICS,
    )
    writer.write(
        _event(lake, "features2", 2 * day, reads=((lake.raw, 0),), writes=(lake.features, merge))
    )
    append = VersionInfo(2, 2 * day + 50, "WRITE", operation_metrics={"numFiles": "1"})
    writer.write(_event(lake, "features3", 2 * day + 50, writes=(lake.features, append)))
    writer.write(
        _event(
            lake,
            "train2",
            2 * day + 100,
            reads=((lake.features, 2),),
            model=ModelInfo(lake.model, "2"),
            user="ana",
        )
    )
    return lake


@pytest.fixture
def cli_env(neo4j_uri: str, neo4j_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_URI", neo4j_uri)
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    return neo4j_uri


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _history(capsys: pytest.CaptureFixture[str], target: str) -> Mapping[str, object]:
    code, out, err = _cli(capsys, "history", target, "--format", "json")
    assert (code, err) == (0, ""), err
    return dict(json.loads(out))


# --- label ------------------------------------------------------------------------------------


def test_a_label_names_a_version_wherever_a_version_is_taken(
    lake: Lake, cli_env: str, driver: neo4j.Driver, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(
        capsys, "label", f"{lake.features.name}@1", "v1.2", "--note", "dedup + fill gaps"
    )

    assert (code, out) == (0, f"label: label v1.2 is on {lake.features.key}@1\n")
    assert reproduce(driver, f"{lake.features.name}@v1.2").version == "1"
    assert reproduce(driver, f"{lake.features.name}@1").job_name == "features"


def test_a_label_on_another_version_moves_only_when_asked(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "label", f"{lake.features.name}@0", "prod")[0] == 0

    code, _, err = _cli(capsys, "label", f"{lake.features.name}@2", "prod")
    assert code == 1
    assert err == (
        f"spark-lineage label: label prod is already on {lake.features.key}@0; "
        "give --move to move it\n"
    )

    code, out, _ = _cli(capsys, "label", f"{lake.features.name}@2", "prod", "--move")
    assert (code, out) == (
        0,
        f"label: label prod moved to {lake.features.key}@2 (it was on version 0)\n",
    )
    versions = _history(capsys, lake.features.name)["versions"]
    assert isinstance(versions, list)
    assert [(v["version"], [x["name"] for x in v["labels"]]) for v in versions] == [
        ("2", ["prod"]),
        ("1", []),
        ("0", []),
    ]


def test_a_label_can_be_taken_off(
    lake: Lake, cli_env: str, driver: neo4j.Driver, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "candidate")

    code, out, _ = _cli(capsys, "label", lake.features.name, "candidate", "--remove")

    assert (code, out) == (0, "label: candidate removed (it was on version 1)\n")
    with pytest.raises(UnknownName, match="no version or label 'candidate'"):
        reproduce(driver, f"{lake.features.name}@candidate")


def test_a_model_version_takes_a_label_too(
    lake: Lake, cli_env: str, driver: neo4j.Driver, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "label", f"model:{lake.model}@1", "baseline")[0] == 0

    tree = reproduce(driver, f"model:{lake.model}@baseline")

    assert tree.version == "1"
    assert [(i.dataset_key, i.version) for i in tree.inputs] == [(lake.features.key, 0)]


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("12", "invalid label '12': it reads as a version number"),
        ("v3", "invalid label 'v3': it reads as a version number"),
        ("../x", "invalid label '../x': use letters, digits"),
        ("a" * 65, "invalid label 'aaaa"),
    ],
)
def test_a_label_that_could_be_misread_is_a_usage_error(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str], label: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["label", f"{lake.features.name}@1", label])

    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_labelling_needs_a_version_and_an_unknown_one_lists_those_there_are(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "v1.2")

    assert _cli(capsys, "label", lake.features.name, "x")[2] == (
        f"spark-lineage label: say which version to label: {lake.features.name}@<version>\n"
    )
    assert _cli(capsys, "label", f"{lake.features.name}@7", "x")[2] == (
        f"spark-lineage label: no version 7 of {lake.features.key}; versions: 0\u20132; "
        "labels: v1.2\n"
    )
    assert _cli(capsys, "label", f"model:{lake.model}x@1", "x")[2].startswith(
        f"spark-lineage label: no model named '{lake.model}x' in the graph; did you mean: "
        f"model:{lake.model}"
    )


# --- history ----------------------------------------------------------------------------------


def test_history_lists_the_versions_newest_first_with_who_what_and_the_writing_run(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "v1.1", "--note", "late updates merged")

    doc = _history(capsys, lake.features.name)

    assert doc["target"] == lake.features.key and doc["total"] == 3
    versions = doc["versions"]
    assert isinstance(versions, list)
    assert [v["version"] for v in versions] == ["2", "1", "0"]
    merge = versions[1]
    assert merge["operation"] == "MERGE"
    assert merge["operation_metrics"] == MERGE_METRICS
    assert merge["operation_parameters"] == {"predicate": '["(s.id = t.id)"]'}
    assert merge["timestamp"] == "1970-01-03T00:00:00Z"
    assert merge["user"] == "etl-bot"  # no user in the commit: the Spark user of the run
    assert merge["run_id"] == lake.runs["features2"] and merge["job"] == "features"
    assert merge["labels"] == [{"name": "v1.1", "note": "late updates merged"}]


def test_history_as_a_table_shows_the_counts_and_the_labels(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "v1.1", "--note", "late updates merged")

    code, out, _ = _cli(capsys, "history", lake.features.name, "--wide")

    assert code == 0
    title, header, _rule, *rows = out.splitlines()
    assert title == lake.features.key
    assert header.split() == [
        "version",
        "when",
        "(UTC)",
        "who",
        "operation",
        "changes",
        "labels",
        "/",
        "note",
        "run",
    ]
    assert rows[1].startswith("1 ")
    assert "MERGE" in rows[1] and "rows 47, inserted 40, updated 7" in rows[1]
    assert "v1.1 (late updates merged)" in rows[1]
    assert rows[1].endswith(lake.runs["features2"])


def test_history_of_a_model_lists_what_each_version_was_trained_on(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _history(capsys, f"model:{lake.model}")

    versions = doc["versions"]
    assert isinstance(versions, list)
    assert [(v["version"], v["trained_on"], v["user"]) for v in versions] == [
        ("2", [f"{lake.features.name}@2"], "ana"),
        ("1", [f"{lake.features.name}@0"], "ana"),
    ]


def test_history_with_a_limit_says_how_many_versions_there_are(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "history", lake.features.name, "--limit", "1")

    assert code == 0
    assert out.splitlines()[-1] == "(1 newest of 3 versions; --limit 0 shows all)"


def test_history_of_an_unknown_table_suggests_the_nearest(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "history", lake.features.name + "x")

    assert code == 1
    assert err.startswith("spark-lineage history: no dataset in the graph matches")


# --- prune keeps what people named -----------------------------------------------------------

PRUNE_BEFORE = 2 * 86_400_000 + 75  # after every run but the second training


@pytest.mark.parametrize(("labelled", "kept"), [(False, ["2", "0"]), (True, ["2", "1", "0"])])
def test_prune_keeps_a_labelled_version_it_would_otherwise_delete(
    lake: Lake,
    cli_env: str,
    driver: neo4j.Driver,
    capsys: pytest.CaptureFixture[str],
    labelled: bool,
    kept: list[str],
) -> None:
    if labelled:
        _cli(capsys, "label", f"{lake.features.name}@1", "audit-2026")

    prune(driver, PRUNE_BEFORE)

    versions = _history(capsys, lake.features.name)["versions"]
    assert isinstance(versions, list)
    # v2 is the newest and v0 trained model 1; v1 is old, superseded and unreferenced.
    assert [v["version"] for v in versions] == kept


# --- diff -------------------------------------------------------------------------------------


def _diff(capsys: pytest.CaptureFixture[str], first: str, second: str) -> dict[str, object]:
    code, out, err = _cli(capsys, "diff", first, second, "--format", "json")
    assert (code, err) == (0, ""), err
    return dict(json.loads(out))


def test_diff_of_two_table_versions_lists_the_commits_between_with_their_counts(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "v1.1", "--note", "late updates merged")

    doc = _diff(capsys, f"{lake.features.name}@0", f"{lake.features.name}@2")

    assert doc["target"] == lake.features.key
    assert doc["before"] == {
        "version": "0",
        "label": None,
        "job": "features",
        "run_id": lake.runs["features1"],
    }
    commits = doc["commits"]
    assert isinstance(commits, list)
    assert [(c["version"], c["operation"]) for c in commits] == [("1", "MERGE"), ("2", "WRITE")]
    assert commits[0]["labels"] == [{"name": "v1.1", "note": "late updates merged"}]
    assert doc["commit_totals"] == {
        "numOutputRows": 47,
        "numTargetRowsInserted": 40,
        "numTargetRowsUpdated": 7,
        "numFiles": 1,
    }
    assert doc["authors"] == ["etl-bot"]
    # features@0 read raw@0; the append that made features@2 read nothing recorded.
    assert doc["inputs_changed"] == [
        {
            "dataset": lake.raw.key,
            "name": lake.raw.name,
            "change": "removed",
            "before": 0,
            "after": None,
            "columns": None,
            "commits": [],
            "commit_totals": {},
            "upstream_changed": [],
        }
    ]


def test_diff_accepts_labels_and_says_what_it_could_not_compare(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _cli(capsys, "label", f"{lake.features.name}@1", "v1.1")

    code, out, _ = _cli(capsys, "diff", f"{lake.features.name}@v1.1", f"{lake.features.name}@2")

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"diff {lake.features.key}@1 (v1.1) -> {lake.features.key}@2"
    assert "  column set not recorded for one of the versions" in lines
    assert "commits after v1 up to v2: 1" in lines


def test_diff_of_two_model_versions_shows_the_training_input_that_moved(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _diff(capsys, f"model:{lake.model}@1", f"model:{lake.model}@2")

    changed = doc["inputs_changed"]
    assert isinstance(changed, list) and len(changed) == 1
    moved = changed[0]
    assert (moved["dataset"], moved["change"], moved["before"], moved["after"]) == (
        lake.features.key,
        "changed",
        0,
        2,
    )
    assert [(c["version"], c["operation"]) for c in moved["commits"]] == [
        ("1", "MERGE"),
        ("2", "WRITE"),
    ]
    assert doc["authors"] == ["etl-bot"]


def test_diff_of_two_different_targets_or_an_unknown_side_is_one_clear_line(
    lake: Lake, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _cli(capsys, "diff", f"{lake.features.name}@0", f"model:{lake.model}@1")
    assert code == 1
    assert err == (
        f"spark-lineage diff: diff compares two versions of one table or model: "
        f"{lake.features.key} and model:{lake.model} differ\n"
    )
    code, _, err = _cli(capsys, "diff", f"{lake.features.name}@0", f"{lake.features.name}@9")
    assert (code, err) == (
        1,
        f"spark-lineage diff: no version 9 of {lake.features.key}; versions: 0\u20132\n",
    )
