"""Tags declared in a Delta table's own metadata, read straight from its ``_delta_log``.

Three ways to declare them (any mix), all in the table's latest ``metaData`` action:

- column metadata ``spark_lineage.tags`` = ``"pii,sensitive"`` (e.g. written with
  ``df.withMetadata("email", {"spark_lineage.tags": "pii"})``);
- hashtags in the column comment: ``ALTER TABLE t ALTER COLUMN email COMMENT 'contact #pii'``;
- table properties ``spark_lineage.tags.<column>`` = ``"pii"``
  (``ALTER TABLE t SET TBLPROPERTIES ('spark_lineage.tags.email' = 'pii')``).

This helper reads the log directly (no Spark), so that metadata tags work today for path-based
tables; the capture layer carrying the same facts in events (see ``docs/compliance.md``) would
extend it to catalog tables and every engine without a file-system view of the table.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_lineage.compliance.model import TagAssignment, TagSource
from spark_lineage.compliance.policy import PolicyError, validate_tag
from spark_lineage.compliance.tagging import TagChange, sync_dataset_tags

if TYPE_CHECKING:
    import neo4j

METADATA_KEY = "spark_lineage.tags"
PROPERTY_PREFIX = "spark_lineage.tags."
HASHTAG = re.compile(r"(?<![\w#])#([A-Za-z0-9][A-Za-z0-9_.:-]*)")


def latest_metadata(table: Path) -> dict[str, Any]:
    """The newest ``metaData`` action of the table's log (commits, else the last checkpoint)."""
    log = table / "_delta_log"
    if not log.is_dir():
        raise FileNotFoundError(f"{table} is not a Delta table (no _delta_log)")
    for commit in sorted(log.glob("[0-9]*.json"), reverse=True):
        found = _metadata_in_lines(commit.read_text(encoding="utf-8").splitlines())
        if found is not None:
            return found
    for checkpoint in sorted(log.glob("[0-9]*.checkpoint*.parquet"), reverse=True):
        parquet = importlib.import_module("pyarrow.parquet")
        for row in parquet.read_table(checkpoint, columns=["metaData"]).to_pylist():
            if row.get("metaData"):
                return dict(row["metaData"])
    raise ValueError(f"no metaData action found in {log}")


def _metadata_in_lines(lines: Iterable[str]) -> dict[str, Any] | None:
    found = None
    for line in lines:
        if line.strip():
            action = json.loads(line)
            if "metaData" in action:
                found = dict(action["metaData"])
    return found


def tags_from_metadata(metadata: Mapping[str, Any]) -> dict[str, set[str]]:
    """Column name (nested fields dotted) -> tags declared by column metadata, comments, props."""
    found: dict[str, set[str]] = {}
    schema = json.loads(metadata.get("schemaString") or '{"fields": []}')
    for name, field_metadata in _fields(schema.get("fields", []), ""):
        tags = _split(str(field_metadata.get(METADATA_KEY, "")))
        tags |= set(HASHTAG.findall(str(field_metadata.get("comment", ""))))
        if tags:
            found.setdefault(name, set()).update(tags)
    for key, value in (metadata.get("configuration") or {}).items():
        if key.startswith(PROPERTY_PREFIX) and key != PROPERTY_PREFIX:
            found.setdefault(key[len(PROPERTY_PREFIX) :], set()).update(_split(str(value)))
    for tags in found.values():
        for tag in tags:
            validate_tag(tag)
    return found


def _fields(fields: Iterable[Mapping[str, Any]], prefix: str) -> Iterable[tuple[str, Any]]:
    for item in fields:
        name = f"{prefix}{item['name']}"
        yield name, item.get("metadata") or {}
        kind = item.get("type")
        if isinstance(kind, dict) and kind.get("type") == "struct":
            yield from _fields(kind.get("fields", []), f"{name}.")


def _split(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def sync_delta_tags(
    driver: neo4j.Driver, table: Path, database: str | None = None
) -> tuple[str, TagChange]:
    """Make the ``metadata`` tags of the table's dataset exactly what its metadata declares."""
    resolved = table.resolve()
    dataset_key = f"file::{resolved}"
    try:
        declared = tags_from_metadata(latest_metadata(resolved))
    except PolicyError as exc:
        raise ValueError(f"{table}: {exc}") from None
    assignments = [
        TagAssignment(f"{dataset_key}::{column}", tag, TagSource.METADATA, "delta metadata")
        for column, tags in sorted(declared.items())
        for tag in sorted(tags)
    ]
    change = sync_dataset_tags(driver, dataset_key, assignments, TagSource.METADATA, database)
    return dataset_key, change
