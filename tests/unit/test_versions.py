"""Matching a write's fingerprint to Delta commits: exact, ambiguous or unknown, never a guess.

The commits are ``commitInfo`` actions recorded from real Delta 4.4 commits
(tests/fixtures/delta/recorded_commits.json): a path table (WRITE, WRITE, WRITE replaceWhere,
DELETE, MERGE) and a catalog table (CTAS, WRITE, CREATE OR REPLACE, WRITE, WRITE overwrite,
UPDATE, DELETE, MERGE, UPDATE).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.versions import (
    AMBIGUOUS,
    CREATE_OPERATIONS,
    EXACT,
    REPLACE_OPERATIONS,
    UNKNOWN,
    Commit,
    WriteFingerprint,
    match_write,
    mismatches,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delta" / "recorded_commits.json"


def recorded(table: str) -> list[Commit]:
    data = json.loads(FIXTURE.read_text())
    return [Commit(c["version"], c["commitInfo"]) for c in data["tables"][table]]


def commit(table: str, version: int) -> Commit:
    return next(c for c in recorded(table) if c.version == version)


def around(c: Commit, before_ms: int = 1000, after_ms: int = 1000) -> dict[str, int]:
    """A query window around one recorded commit."""
    assert c.timestamp_ms is not None
    return {"started_at_ms": c.timestamp_ms - before_ms, "ended_at_ms": c.timestamp_ms + after_ms}


def metrics_of(c: Commit) -> dict[str, int]:
    """The command's own SQL metrics: the values Delta copied into operationMetrics."""
    return {k: int(v) for k, v in c.info["operationMetrics"].items()}


def whole_history() -> dict[str, int]:
    """A window covering every recorded commit (what 'latest version' reasoning amounts to)."""
    return {"started_at_ms": 0, "ended_at_ms": 2**62}


# --- exact ------------------------------------------------------------------------------------


def test_update_is_recognised_among_all_commits_by_its_metrics() -> None:
    update = commit("catalog_table", 5)
    fp = WriteFingerprint(frozenset({"UPDATE"}), metrics=metrics_of(update), **whole_history())

    found = match_write(fp, recorded("catalog_table"))

    assert (found.status, found.version, found.operation) == (EXACT, 5, "UPDATE")
    assert found.operation_metrics["numUpdatedRows"] == "1"
    assert found.timestamp_ms == update.timestamp_ms


def test_second_update_with_other_metrics_is_told_apart_from_the_first() -> None:
    second = commit("catalog_table", 8)
    fp = WriteFingerprint(frozenset({"UPDATE"}), metrics=metrics_of(second), **whole_history())

    assert match_write(fp, recorded("catalog_table")).version == 8


@pytest.mark.parametrize(
    ("table", "version", "operation"),
    [
        ("catalog_table", 6, "DELETE"),
        ("catalog_table", 7, "MERGE"),
        ("path_table", 3, "DELETE"),
        ("path_table", 4, "MERGE"),
    ],
)
def test_dml_commands_are_exact_from_their_metrics_alone(
    table: str, version: int, operation: str
) -> None:
    c = commit(table, version)
    fp = WriteFingerprint(frozenset({operation}), metrics=metrics_of(c), **whole_history())

    assert match_write(fp, recorded(table)).version == version


def test_append_is_exact_when_only_its_commit_lies_in_the_query_window() -> None:
    append = commit("path_table", 1)
    fp = WriteFingerprint(frozenset({"WRITE"}), parameters={"mode": "Append"}, **around(append))

    found = match_write(fp, recorded("path_table"))

    assert (found.status, found.version) == (EXACT, 1)
    assert found.operation_parameters == {"mode": "Append", "partitionBy": "[]"}


def test_replace_where_overwrite_matches_on_mode_and_predicate() -> None:
    fp = WriteFingerprint(
        frozenset({"WRITE"}),
        parameters={"mode": "Overwrite", "predicate": "p = 0"},
        **whole_history(),
    )

    assert match_write(fp, recorded("path_table")).version == 2


def test_create_and_replace_table_as_select_use_their_own_operation_names() -> None:
    create = WriteFingerprint(CREATE_OPERATIONS, **whole_history())
    replace_ = WriteFingerprint(REPLACE_OPERATIONS, **whole_history())

    assert match_write(create, recorded("catalog_table")).version == 0
    assert match_write(replace_, recorded("catalog_table")).version == 2


def test_version_known_before_the_write_excludes_older_commits() -> None:
    fp = WriteFingerprint(frozenset({"UPDATE"}), after_version=5, **whole_history())

    assert match_write(fp, recorded("catalog_table")).version == 8


def test_metric_the_commit_does_not_record_is_not_held_against_it() -> None:
    update = commit("catalog_table", 5)
    metrics = {**metrics_of(update), "numTouchedRows": 1}  # a command metric Delta does not copy
    fp = WriteFingerprint(frozenset({"UPDATE"}), metrics=metrics, **whole_history())

    assert match_write(fp, recorded("catalog_table")).version == 5


# --- ambiguous: several commits fit, so no version is claimed ---------------------------------


def test_two_appends_that_only_differ_in_unknown_ways_are_ambiguous_not_guessed() -> None:
    fp = WriteFingerprint(frozenset({"WRITE"}), parameters={"mode": "Append"}, **whole_history())

    found = match_write(fp, recorded("catalog_table"))

    assert found.status == AMBIGUOUS
    assert found.version is None
    assert found.candidates == (1, 3)
    assert found.operation == "WRITE"


def test_a_known_row_count_turns_the_same_ambiguity_into_an_exact_answer() -> None:
    fp = WriteFingerprint(
        frozenset({"WRITE"}),
        parameters={"mode": "Append"},
        metrics={"numOutputRows": 2},
        **whole_history(),
    )

    assert match_write(fp, recorded("catalog_table")).version == 3


def test_identical_concurrent_commits_stay_ambiguous() -> None:
    ours = commit("path_table", 1)
    twin = Commit(2, {**ours.info, "txnId": "another-application", "readVersion": 0})
    fp = WriteFingerprint(
        frozenset({"WRITE"}),
        parameters={"mode": "Append"},
        metrics=metrics_of(ours),
        **around(ours),
    )

    found = match_write(fp, [ours, twin])

    assert (found.status, found.version, found.candidates) == (AMBIGUOUS, None, (1, 2))


# --- unknown ----------------------------------------------------------------------------------


def test_no_commit_in_the_window_gives_unknown() -> None:
    first = commit("path_table", 0)
    assert first.timestamp_ms is not None
    fp = WriteFingerprint(
        frozenset({"WRITE"}),
        started_at_ms=first.timestamp_ms - 10_000,
        ended_at_ms=first.timestamp_ms - 5_000,
    )

    found = match_write(fp, recorded("path_table"))

    assert (found.status, found.version, found.candidates) == (UNKNOWN, None, ())


def test_metrics_that_contradict_every_commit_give_unknown() -> None:
    metrics = {**metrics_of(commit("catalog_table", 5)), "numUpdatedRows": 999}
    fp = WriteFingerprint(frozenset({"UPDATE"}), metrics=metrics, **whole_history())

    assert match_write(fp, recorded("catalog_table")).status == UNKNOWN


def test_no_commits_at_all_gives_unknown() -> None:
    assert match_write(WriteFingerprint(frozenset({"WRITE"})), []).status == UNKNOWN


# --- the window -------------------------------------------------------------------------------


def test_commit_a_few_ms_outside_the_window_is_within_the_clock_slack() -> None:
    c = commit("path_table", 0)
    assert c.timestamp_ms is not None
    fp = WriteFingerprint(
        frozenset({"WRITE"}), started_at_ms=c.timestamp_ms + 3, ended_at_ms=c.timestamp_ms + 100
    )

    assert mismatches(fp, c) == []
    assert mismatches(replace(fp, clock_slack_ms=0), c) != []


def test_mismatches_explain_why_a_commit_is_not_ours() -> None:
    c = commit("catalog_table", 5)
    fp = WriteFingerprint(frozenset({"DELETE"}), after_version=6, **around(c, 1000, -500))

    reasons = mismatches(fp, c)

    assert any("operation" in r for r in reasons)
    assert any("known before" in r for r in reasons)
    assert any("after the query ended" in r for r in reasons)


# --- parsing and conversion -------------------------------------------------------------------


def test_commit_info_is_found_whatever_its_line_in_the_log_file() -> None:
    text = "\n".join(
        [
            json.dumps({"protocol": {"minReaderVersion": 1}}),
            json.dumps({"add": {"path": "part-0.parquet"}}),
            json.dumps({"commitInfo": {"timestamp": 5, "operation": "WRITE", "readVersion": 2}}),
            "",
        ]
    )

    c = Commit.from_log_text(3, text)

    assert (c.version, c.operation, c.timestamp_ms, c.read_version) == (3, "WRITE", 5, 2)


def test_log_file_without_commit_info_gives_an_empty_commit_that_matches_nothing() -> None:
    c = Commit.from_log_text(1, json.dumps({"add": {"path": "x"}}))

    assert c.info == {}
    assert match_write(WriteFingerprint(frozenset({"WRITE"})), [c]).status == UNKNOWN


def test_version_info_carries_parameters_and_metrics_as_strings_without_nulls() -> None:
    info = commit("catalog_table", 0).to_version_info()

    assert info.operation_parameters["isManaged"] == "true"
    assert "description" not in info.operation_parameters  # null in the log
    assert info.operation_metrics["numOutputRows"] == "3"


def test_fingerprint_survives_a_round_trip_through_json() -> None:
    fp = WriteFingerprint(
        frozenset({"MERGE"}),
        started_at_ms=1,
        ended_at_ms=2,
        after_version=3,
        parameters={"mode": "Append"},
        metrics={"numTargetRowsInserted": 4},
    )
    data: Any = json.loads(json.dumps(fp.to_dict()))

    assert WriteFingerprint.from_dict(data) == fp


# --- what capture.delta parses from one JVM string each (recorded from Spark 4.1 / Delta 4.4) --

METRICS_MAP = (
    "HashMap(numTargetRowsCopied -> SQLMetric(id: 26412, name: Some(number of target rows "
    "rewritten unmodified), value: 0), numSourceRowsInSecondScan -> SQLMetric(id: 26410, "
    "name: Some(number of source rows (during repeated scan)), value: 2), executionTimeMs -> "
    "SQLMetric(id: 26433, name: Some(time taken to execute the entire operation), value: 8166))"
)
PHASES = (
    "Map(planning -> PhaseSummary(1795684647825, 1795684647828), optimization -> "
    "PhaseSummary(1795684647820, 1795684647825), analysis -> PhaseSummary(1795684647819, "
    "1795684647820))"
)


class Recorded:
    """Stands in for a py4j object whose method returns a recorded Scala ``toString``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def metrics(self) -> str:
        return self.text

    def tracker(self) -> Recorded:
        return self

    def phases(self) -> str:
        return self.text


def test_command_metrics_are_parsed_even_when_names_hold_parentheses() -> None:
    from spark_lineage.capture.delta import _command_metrics

    assert _command_metrics(Recorded(METRICS_MAP)) == {
        "numTargetRowsCopied": 0,
        "numSourceRowsInSecondScan": 2,
        "executionTimeMs": 8166,
    }


def test_query_window_starts_at_the_earliest_planning_phase() -> None:
    from spark_lineage.capture.delta import _planning_started_ms

    assert _planning_started_ms(Recorded(PHASES)) == 1795684647819
    assert _planning_started_ms(Recorded("Map()")) is None


def test_a_commit_keeps_who_and_why_user_metadata_engine_and_user_name() -> None:
    info = {
        "timestamp": 5,
        "operation": "WRITE",
        "userMetadata": "label:v1.1 dedup",
        "engineInfo": "Apache-Spark/4.1.0 Delta-Lake/4.0.0",
        "userName": "alice",
    }

    version = Commit(3, info).to_version_info()

    assert (version.user_metadata, version.engine, version.user_name) == (
        "label:v1.1 dedup",
        "Apache-Spark/4.1.0 Delta-Lake/4.0.0",
        "alice",
    )


def test_an_empty_or_missing_user_name_is_none_not_an_empty_string() -> None:
    assert Commit(3, {"userName": ""}).to_version_info().user_name is None
    assert Commit(3, {}).to_version_info().user_metadata is None
