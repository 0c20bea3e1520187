"""How two versions are compared: columns, inputs, parameters and commit counts."""

from __future__ import annotations

from spark_lineage.timeline.diff import (
    Column,
    InputRef,
    commit_totals,
    compare_columns,
    compare_inputs,
    compare_maps,
)
from spark_lineage.timeline.history import HistoryEntry


def test_columns_added_removed_retyped_and_computed_differently() -> None:
    before = [
        Column("id", "bigint", "f-id"),
        Column("score", "double", "f-score-1"),
        Column("amount", "int", "f-amount"),
        Column("legacy", "string", "f-legacy"),
    ]
    after = [
        Column("id", "bigint", "f-id"),
        Column("score", "double", "f-score-2"),
        Column("amount", "bigint", "f-amount"),
        Column("tenure_days", "int", "f-tenure"),
    ]

    changes = compare_columns(before, after)

    assert changes.known and not changes.empty
    assert changes.added == (Column("tenure_days", "int", "f-tenure"),)
    assert changes.removed == (Column("legacy", "string", "f-legacy"),)
    assert changes.retyped == (("amount", "int", "bigint"),)
    assert changes.recomputed == ("score",)


def test_the_same_columns_are_no_change_and_a_missing_column_set_is_unknown() -> None:
    same = [Column("id", "bigint", "f")]
    assert compare_columns(same, same).empty
    assert not compare_columns(None, same).known
    # A fingerprint missing on one side is not a change (older recordings had none).
    assert compare_columns([Column("id", "bigint", None)], same).empty


def test_inputs_that_moved_versions_or_were_read_on_one_side_only() -> None:
    before = [
        InputRef("raw", "raw", 0),
        InputRef("codes", "codes", None),
        InputRef("old", "old", 3),
    ]
    after = [
        InputRef("raw", "raw", 2),
        InputRef("codes", "codes", None),
        InputRef("extra", "extra", 1),
    ]

    changes, unchanged = compare_inputs(before, after)

    assert [(c.key, c.kind, c.before, c.after) for c in changes] == [
        ("extra", "added", None, 1),
        ("old", "removed", 3, None),
        ("raw", "changed", 0, 2),
    ]
    assert unchanged == (InputRef("codes", "codes", None),)


def test_a_dataset_read_at_two_versions_counts_by_the_newest() -> None:
    merge_reads = [InputRef("t", "t", 4), InputRef("t", "t", 5)]

    changes, unchanged = compare_inputs([InputRef("t", "t", 5)], merge_reads)

    assert changes == () and unchanged == (InputRef("t", "t", 5),)


def test_parameters_and_metrics_that_changed() -> None:
    assert compare_maps({"reg": "0.1", "iter": "10"}, {"reg": "0.01", "iter": "10", "x": "1"}) == (
        ("reg", "0.1", "0.01"),
        ("x", None, "1"),
    )


def test_commit_counts_are_added_up_over_the_commits_between() -> None:
    merge = HistoryEntry(
        "1", None, "MERGE", None, metrics={"numTargetRowsInserted": "40", "numOutputRows": "47"}
    )
    append = HistoryEntry(
        "2", None, "WRITE", None, metrics={"numOutputRows": "10", "executionTimeMs": "5"}
    )

    assert commit_totals([merge, append]) == {"numOutputRows": 57, "numTargetRowsInserted": 40}
