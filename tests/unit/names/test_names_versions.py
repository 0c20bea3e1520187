"""How ``<name>@<version or label>`` is read before the graph is asked."""

from __future__ import annotations

import pytest

from spark_lineage.names.versions import split_ref, version_number, version_spans
from spark_lineage.version_labels import label_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("features@3", ("features", "3")),
        ("features@v1.2", ("features", "v1.2")),
        ("/lake/a@b/features@2", ("/lake/a@b/features", "2")),  # the last @ splits
        ("features", ("features", None)),
        ("features@", ("features@", None)),
        ("@3", ("@3", None)),
    ],
)
def test_the_version_part_is_after_the_last_at(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert split_ref(text) == expected


@pytest.mark.parametrize(
    ("ref", "number"),
    [("3", 3), ("v3", 3), ("V12", 12), ("v1.2", None), ("-1", None), ("v", None), ("prod", None)],
)
def test_a_version_number_may_start_with_v(ref: str, number: int | None) -> None:
    assert version_number(ref) == number


def test_versions_are_listed_as_runs_of_consecutive_numbers() -> None:
    assert version_spans(["5", "0", "1", "2", "3", "7", "8"]) == "0\u20133, 5, 7\u20138"
    assert version_spans(["2", "rc1"]) == "2, rc1"
    assert version_spans([]) == ""


def test_a_label_key_is_unique_per_dataset_or_model() -> None:
    assert label_key("file::/lake/features", "v1.2") == "file::/lake/features#v1.2"
    assert label_key("model:churn", "prod") == "model:churn#prod"
