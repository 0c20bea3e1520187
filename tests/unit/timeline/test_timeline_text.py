"""What ``label`` accepts and how ``history`` words a version."""

from __future__ import annotations

import pytest

from spark_lineage.timeline.history import HistoryEntry, Label, iso_time, metrics_text, notes_text
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


def test_times_are_utc_to_the_second() -> None:
    assert iso_time(1_764_748_800_123) == "2025-12-03T08:00:00Z"
    assert iso_time(None) is None
