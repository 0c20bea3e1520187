"""The label convention of a commit's userMetadata: ``label:<name> <note>`` labels the version."""

from __future__ import annotations

import pytest

from spark_lineage.version_labels import MetadataLabel, label_from_user_metadata


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("label:v1.1 dedup + fill gaps", MetadataLabel("v1.1", "dedup + fill gaps")),
        ("label:prod", MetadataLabel("prod")),
        ("  LABEL: v1.2   features for churn  ", MetadataLabel("v1.2", "features for churn")),
        ("label:v3.1\nrebuilt after the outage", MetadataLabel("v3.1", "rebuilt after the outage")),
        ("label:v1.1 dedup  +  fill", MetadataLabel("v1.1", "dedup  +  fill")),
    ],
)
def test_a_label_prefix_names_the_version_and_the_rest_is_its_note(
    text: str, expected: MetadataLabel
) -> None:
    assert label_from_user_metadata(text) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "dedup + fill gaps", "label:", "label:   ", "relabel:v1 x", "my label:v1"],
)
def test_a_description_without_the_prefix_gives_no_label(text: str | None) -> None:
    assert label_from_user_metadata(text) is None


@pytest.mark.parametrize("text", ["label:v3 reads as version 3", "label:12", "label:../x note"])
def test_a_name_label_would_refuse_gives_no_label(text: str) -> None:
    assert label_from_user_metadata(text) is None
