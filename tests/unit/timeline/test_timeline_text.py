"""What ``label`` accepts and how ``history`` words a version."""

from __future__ import annotations

import json

import pytest

from spark_lineage.timeline.history import (
    History,
    HistoryEntry,
    Label,
    format_history,
    iso_time,
    metrics_text,
    notes_text,
)
from spark_lineage.timeline.labels import LabelError, validate_label


@pytest.mark.parametrize("name", ["v1.1", "prod", "2026-12_release", "A" * 64])
def test_labels_are_short_plain_words(name: str) -> None:
    assert validate_label(name) == name


@pytest.mark.parametrize(
    "name", ["", "12", "v3", "V12", "-x", ".hidden", "a b", "x/../y", "A" * 65, "é"]
)
def test_a_label_that_could_be_misread_is_refused(name: str) -> None:
    with pytest.raises(LabelError):
        validate_label(name)


def test_commit_counts_are_shown_in_a_fixed_order_once_each() -> None:
    metrics = {
        "numFiles": "2",
        "numOutputRows": "47",
        "numTargetRowsInserted": "40",
        "numDeletedRows": "3",
        "numTargetRowsDeleted": "1",
        "executionTimeMs": "900",
    }

    assert metrics_text(metrics) == "rows 47, inserted 40, deleted 1, files 2"
    assert metrics_text({}) == ""


def test_notes_show_labels_then_a_description_that_says_more() -> None:
    entry = HistoryEntry(
        "1", None, "MERGE", None, (Label("v1.1", "late updates"), Label("prod")), "nightly merge"
    )
    assert notes_text(entry) == "v1.1 (late updates); prod; nightly merge"
    same = HistoryEntry("1", None, "MERGE", None, (Label("v1.1", "late updates"),), "late updates")
    assert notes_text(same) == "v1.1 (late updates)"


LABELLING_METADATA = "label:v1.1 adds minutes_per_active_day"


def labelled_by_metadata(labels: tuple[Label, ...]) -> HistoryEntry:
    """A version whose commit description labelled it through the userMetadata convention."""
    return HistoryEntry("3", None, "WRITE", "ana", labels, LABELLING_METADATA)


def test_a_label_given_by_the_commit_description_is_not_repeated_by_it() -> None:
    entry = labelled_by_metadata((Label("v1.1", "adds minutes_per_active_day"),))

    assert notes_text(entry) == "v1.1 (adds minutes_per_active_day)"


def test_a_noteless_label_given_by_the_commit_description_is_not_repeated_by_it() -> None:
    entry = HistoryEntry("3", None, "WRITE", "ana", (Label("prod"),), "  LABEL: prod ")

    assert notes_text(entry) == "prod"


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param((), id="the label was moved to another version"),
        pytest.param((Label("v1.1", "re-noted by hand"),), id="the label was re-noted"),
        pytest.param((Label("v2.0", "adds minutes_per_active_day"),), id="another label"),
    ],
)
def test_a_labelling_description_the_labels_no_longer_say_is_shown(
    labels: tuple[Label, ...],
) -> None:
    assert notes_text(labelled_by_metadata(labels)).endswith(LABELLING_METADATA)


def test_history_table_says_a_metadata_label_once_and_json_keeps_the_description() -> None:
    entry = labelled_by_metadata((Label("v1.1", "adds minutes_per_active_day"),))
    result = History("file::/lake/features", (entry,), 1)

    table = format_history(result, "table", width=200)
    assert "v1.1 (adds minutes_per_active_day)" in table
    assert "label:" not in table
    assert table.count("adds minutes_per_active_day") == 1

    (version,) = json.loads(format_history(result, "json"))["versions"]
    assert version["labels"] == [{"name": "v1.1", "note": "adds minutes_per_active_day"}]
    assert version["description"] == LABELLING_METADATA


def test_times_are_utc_to_the_second() -> None:
    assert iso_time(1_764_748_800_123) == "2025-12-03T08:00:00Z"
    assert iso_time(None) is None
