"""Asserted tags in the graph: from the policy file, the command line and table metadata.

Each source owns its own ``TAGGED {source}`` relationships, so that removing a rule from the
policy file removes exactly the tags that rule set, and never a tag a person set by hand.
Applying a policy *synchronises* the ``policy`` tags with the file (adds the new, removes the
stale); ``tag``/``untag`` only touch ``cli`` tags; metadata tags are synchronised per dataset.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spark_lineage.compliance.model import TagAssignment, TagSource
from spark_lineage.compliance.policy import DatasetColumns, Policy, match_columns, validate_tag
from spark_lineage.compliance.queries import (
    ALL_DATASET_COLUMNS,
    ASSERTED_TAGS,
    REMOVE_TAGS,
    WRITE_TAGS,
)
from spark_lineage.names import resolve_column_keys
from spark_lineage.textui.progress import ProgressCallback

if TYPE_CHECKING:
    import neo4j

BATCH = 2000


@dataclass(frozen=True, slots=True)
class TagChange:
    """What a tagging command did."""

    matched: int
    created: int
    removed: int


def write_assignments(
    session: neo4j.Session,
    assignments: Sequence[TagAssignment],
    progress: ProgressCallback | None = None,
) -> tuple[int, int]:
    """MERGE asserted tags; returns (matched, newly created). ``progress`` hears (written,
    fraction written) after each batch."""
    matched = created = 0
    now = int(time.time() * 1000)
    rows = [_row(a) for a in assignments]
    for start in range(0, len(rows), BATCH):
        record = session.execute_write(
            _single, WRITE_TAGS.text, rows=rows[start : start + BATCH], now=now
        )
        matched += int(record["matched"])
        created += int(record["created"])
        if progress is not None:
            done = min(start + BATCH, len(rows))
            progress(done, done / len(rows))
    return matched, created


def remove_assignments(session: neo4j.Session, assignments: Sequence[TagAssignment]) -> int:
    rows = [_row(a) for a in assignments]
    removed = 0
    for start in range(0, len(rows), BATCH):
        record = session.execute_write(_single, REMOVE_TAGS.text, rows=rows[start : start + BATCH])
        removed += int(record["removed"])
    return removed


def tag_columns(
    driver: neo4j.Driver,
    dataset: str,
    columns: Sequence[str],
    tags: Sequence[str],
    *,
    remove: bool = False,
    note: str = "",
    database: str | None = None,
) -> TagChange:
    """``spark-lineage tag``: add (or remove) ``cli`` tags on columns of one dataset."""
    for tag in tags:
        validate_tag(tag)
    with driver.session(database=database) as session:
        keys = resolve_column_keys(session, dataset, columns)
        assignments = [TagAssignment(k, t, TagSource.CLI, note) for k in keys for t in tags]
        if remove:
            return TagChange(len(assignments), 0, remove_assignments(session, assignments))
        matched, created = write_assignments(session, assignments)
    return TagChange(matched, created, 0)


def apply_policy(
    driver: neo4j.Driver,
    policy: Policy,
    *,
    database: str | None = None,
    prune: bool = True,
    progress: ProgressCallback | None = None,
) -> TagChange:
    """Match the policy against every dataset in the graph and synchronise the ``policy`` tags.

    With ``prune`` (the default) ``policy`` tags the file no longer asserts are removed.
    ``progress`` hears how many tags are written so far.
    """
    with driver.session(database=database) as session:
        datasets = [
            DatasetColumns(
                r["key"], r["name"], r["table"], tuple((k, n) for k, n in r["columns"] if k)
            )
            for r in session.run(ALL_DATASET_COLUMNS.text)
        ]
        wanted = match_columns(policy, datasets)
        matched, created = write_assignments(session, wanted, progress)
        removed = 0
        if prune:
            keep = {(a.column_key, a.tag) for a in wanted}
            stale = [
                TagAssignment(r["column_key"], r["tag"], TagSource.POLICY, "", policy.name)
                for r in session.run(
                    ASSERTED_TAGS.text,
                    tags=None,
                    source=TagSource.POLICY.value,
                    assigned_by=policy.name,
                )
                if (r["column_key"], r["tag"]) not in keep
            ]
            removed = remove_assignments(session, stale)
    return TagChange(matched, created, removed)


def sync_dataset_tags(
    driver: neo4j.Driver,
    dataset_key: str,
    assignments: Sequence[TagAssignment],
    source: TagSource,
    database: str | None = None,
) -> TagChange:
    """Make the ``source`` tags of one dataset exactly ``assignments`` (metadata tags)."""
    with driver.session(database=database) as session:
        matched, created = write_assignments(session, assignments)
        keep = {(a.column_key, a.tag) for a in assignments}
        stale = [
            TagAssignment(r["column_key"], r["tag"], source, "", r["assigned_by"])
            for r in session.run(
                ASSERTED_TAGS.text, tags=None, source=source.value, assigned_by=None
            )
            if r["dataset_key"] == dataset_key and (r["column_key"], r["tag"]) not in keep
        ]
        removed = remove_assignments(session, stale)
    return TagChange(matched, created, removed)


def list_asserted(
    driver: neo4j.Driver, tags: Sequence[str] | None = None, database: str | None = None
) -> list[dict[str, Any]]:
    """Asserted tags as plain rows (for ``spark-lineage tags list``)."""
    with driver.session(database=database) as session:
        return [
            dict(r)
            for r in session.run(
                ASSERTED_TAGS.text, tags=list(tags) if tags else None, source=None, assigned_by=None
            )
        ]


def _single(tx: neo4j.ManagedTransaction, /, text: str, **params: Any) -> neo4j.Record:
    return tx.run(text, **params).single(strict=True)


def _row(assignment: TagAssignment) -> dict[str, str]:
    return {
        "column_key": assignment.column_key,
        "tag": assignment.tag,
        "source": assignment.source.value,
        "detail": assignment.detail,
        "assigned_by": assignment.authority,
    }
