"""Read back a part of the graph as plain data: a helper of the tests and benchmarks (and of the
examples in ``docs/graph.md``), with its own inspection-only Cypher.

A *scope* is every dataset, column and version whose key starts with ``dataset_prefix`` plus every
job (and its runs) whose key starts with ``job_prefix``. :func:`snapshot` returns its nodes and
outgoing relationships with all properties, sorted, so two snapshots compare with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j

from spark_lineage.graph.queries import Query

#: Upper bound of the inspection walks below (the package's own walks: impact.traverse).
MAX_LINEAGE_DEPTH = 12

DOWNSTREAM_COLUMNS = Query(
    "downstream_columns",
    f"""
MATCH (start:Column {{key: $column_key}})
MATCH p = ANY SHORTEST (start)-[:FEEDS]->{{1,{MAX_LINEAGE_DEPTH}}}(c:Column)
WHERE length(p) <= $max_depth
RETURN c.key AS column, length(p) AS depth
ORDER BY depth, column
""",
    "Every column fed (transitively, bounded depth) by a column, with its shortest distance. "
    "ANY SHORTEST runs breadth-first: diamonds and hot columns do not enumerate every path.",
)

UPSTREAM_COLUMNS = Query(
    "upstream_columns",
    f"""
MATCH (end:Column {{key: $column_key}})
MATCH p = ANY SHORTEST (c:Column)-[:FEEDS]->{{1,{MAX_LINEAGE_DEPTH}}}(end)
WHERE length(p) <= $max_depth
RETURN c.key AS column, length(p) AS depth
ORDER BY depth, column
""",
    "Every column feeding (transitively, bounded depth) a column, with its shortest distance.",
)

CLEAR_DOWNSTREAM_COLUMNS = Query(
    "clear_downstream_columns",
    f"""
MATCH p = ANY SHORTEST (:Column {{key: $column_key}})
          (()-[f:FEEDS WHERE f.type = 'DIRECT' AND NOT f.masking]->()){{1,{MAX_LINEAGE_DEPTH}}}
          (c:Column)
WHERE length(p) <= $max_depth
RETURN c.key AS column, length(p) AS depth
ORDER BY depth, column
""",
    "Columns that carry a column's value in clear: only DIRECT, unmasked hops (PII questions).",
)

# --- inspection of one scope (tests, exports, docs): datasets by key prefix, jobs by key prefix ---

_SCOPE = """
CALL () {
  MATCH (n:Dataset|Column|DatasetVersion|VersionLabel) WHERE n.key STARTS WITH $dataset_prefix
  RETURN n
  UNION
  MATCH (n:Job) WHERE n.key STARTS WITH $job_prefix RETURN n
  UNION
  MATCH (n:Run) WHERE n.job_key STARTS WITH $job_prefix RETURN n
}
"""

SCOPE_NODES = Query(
    "scope_nodes",
    _SCOPE
    + """
RETURN labels(n)[0] AS label, coalesce(n.key, n.run_id) AS id, properties(n) AS properties
ORDER BY label, id
""",
    "Every node of a scope with its properties.",
)

SCOPE_RELATIONSHIPS = Query(
    "scope_relationships",
    _SCOPE
    + """
MATCH (n)-[r]->(m)
RETURN type(r) AS type, coalesce(n.key, n.run_id) AS start, coalesce(m.key, m.run_id) AS end,
       properties(r) AS properties
ORDER BY type, start, end
""",
    "Every relationship leaving a node of the scope, with its properties.",
)

DELETE_SCOPE = Query(
    "delete_scope",
    _SCOPE
    + """
DETACH DELETE n
RETURN count(*) AS deleted
""",
    "Removes a scope (test and benchmark clean-up).",
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
