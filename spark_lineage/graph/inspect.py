"""Read back a part of the graph as plain data: for tests, exports and ``docs/graph.md``.

A *scope* is every dataset, column and version whose key starts with ``dataset_prefix`` plus every
job (and its runs) whose key starts with ``job_prefix``. :func:`snapshot` returns its nodes and
outgoing relationships with all properties, sorted, so two snapshots compare with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j

from spark_lineage.graph.queries import (
    CLEAR_DOWNSTREAM_COLUMNS,
    DELETE_SCOPE,
    DOWNSTREAM_COLUMNS,
    MAX_LINEAGE_DEPTH,
    SCOPE_NODES,
    SCOPE_RELATIONSHIPS,
    UPSTREAM_COLUMNS,
)

NodeRow = tuple[str, str, dict[str, Any]]
RelationshipRow = tuple[str, str, str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Nodes as (label, id, properties); relationships as (type, start id, end id, properties)."""

    nodes: list[NodeRow]
    relationships: list[RelationshipRow]


def snapshot(
    driver: neo4j.Driver, dataset_prefix: str, job_prefix: str, database: str | None = None
) -> Snapshot:
    """All nodes and outgoing relationships of a scope, sorted for comparison."""
    params = {"dataset_prefix": dataset_prefix, "job_prefix": job_prefix}
    with driver.session(database=database) as session:
        nodes = [
            (r["label"], r["id"], dict(r["properties"]))
            for r in session.run(SCOPE_NODES.text, params)
        ]
        relationships = [
            (r["type"], r["start"], r["end"], dict(r["properties"]))
            for r in session.run(SCOPE_RELATIONSHIPS.text, params)
        ]
    relationships.sort(key=lambda row: (row[0], row[1], row[2], sorted(row[3].items())))
    return Snapshot(nodes, relationships)


def delete_scope(
    driver: neo4j.Driver, dataset_prefix: str, job_prefix: str, database: str | None = None
) -> int:
    """Remove a scope; returns the number of nodes deleted."""
    with driver.session(database=database) as session:
        record = session.run(
            DELETE_SCOPE.text, dataset_prefix=dataset_prefix, job_prefix=job_prefix
        ).single(strict=True)
    return int(record["deleted"])


def downstream_columns(
    driver: neo4j.Driver,
    column_key: str,
    max_depth: int = MAX_LINEAGE_DEPTH,
    database: str | None = None,
) -> list[tuple[str, int]]:
    """(column key, shortest depth) of every column a column feeds, at most ``max_depth`` hops."""
    return _columns(driver, DOWNSTREAM_COLUMNS.text, column_key, max_depth, database)


def upstream_columns(
    driver: neo4j.Driver,
    column_key: str,
    max_depth: int = MAX_LINEAGE_DEPTH,
    database: str | None = None,
) -> list[tuple[str, int]]:
    """(column key, shortest depth) of every column feeding a column, at most ``max_depth`` hops."""
    return _columns(driver, UPSTREAM_COLUMNS.text, column_key, max_depth, database)


def clear_downstream_columns(
    driver: neo4j.Driver, column_key: str, max_depth: int = MAX_LINEAGE_DEPTH,
    database: str | None = None,
) -> list[tuple[str, int]]:
    """Columns that carry the value of a column in clear (DIRECT and unmasked on the way)."""
    return _columns(driver, CLEAR_DOWNSTREAM_COLUMNS.text, column_key, max_depth, database)


def _columns(
    driver: neo4j.Driver, text: str, column_key: str, max_depth: int, database: str | None
) -> list[tuple[str, int]]:
    with driver.session(database=database) as session:
        return [
            (r["column"], int(r["depth"]))
            for r in session.run(text, column_key=column_key, max_depth=max_depth)
        ]
