"""Tags declared in a Delta log's metadata (column metadata, comment hashtags, table properties)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_lineage.compliance.delta_metadata import latest_metadata, tags_from_metadata
from spark_lineage.compliance.policy import PolicyError


def schema(*fields: dict[str, object]) -> str:
    return json.dumps({"type": "struct", "fields": list(fields)})


def field(name: str, metadata: dict[str, str] | None = None, kind: object = "string") -> dict:
    return {"name": name, "type": kind, "nullable": True, "metadata": metadata or {}}


def test_column_metadata_comments_and_table_properties_all_declare_tags() -> None:
    metadata = {
        "schemaString": schema(
            field("email", {"spark_lineage.tags": "pii, contact"}),
            field("phone", {"comment": "mobile number #pii (do not share) #sensitive"}),
            field("note", {"comment": "issue#42 is not a tag, nor is ##this"}),
            field(
                "address",
                kind={
                    "type": "struct",
                    "fields": [field("city", {"spark_lineage.tags": "location"})],
                },
            ),
        ),
        "configuration": {"spark_lineage.tags.iban": "financial", "delta.appendOnly": "false"},
    }
    assert tags_from_metadata(metadata) == {
        "email": {"pii", "contact"},
        "phone": {"pii", "sensitive"},
        "address.city": {"location"},
        "iban": {"financial"},
    }


def test_an_invalid_tag_in_metadata_is_refused() -> None:
    with pytest.raises(PolicyError, match="invalid tag name"):
        tags_from_metadata({"configuration": {"spark_lineage.tags.x": "bad tag!"}})


def test_the_newest_metadata_action_of_the_log_wins(tmp_path: Path) -> None:
    log = tmp_path / "_delta_log"
    log.mkdir()
    old = {"metaData": {"schemaString": schema(field("a")), "configuration": {}}}
    new = {"metaData": {"schemaString": schema(field("a")), "configuration": {"k": "v"}}}
    (log / "00000000000000000000.json").write_text(
        json.dumps({"protocol": {}}) + "\n" + json.dumps(old) + "\n"
    )
    (log / "00000000000000000001.json").write_text(json.dumps({"add": {}}) + "\n")
    (log / "00000000000000000002.json").write_text(json.dumps(new) + "\n")
    assert latest_metadata(tmp_path)["configuration"] == {"k": "v"}


def test_a_directory_without_a_log_is_not_a_delta_table(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a Delta table"):
        latest_metadata(tmp_path)
