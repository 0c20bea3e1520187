"""The Cypher of impact analysis: one-hop lineage steps, column and dataset details.

Every statement is a named, parameterised :class:`~spark_lineage.graph.queries.Query`; no text is
built from user input. Impact, upstream and path traversals are *level by level* from Python:
each step expands one hop from a frontier of column keys (``UNWIND $frontier``), so there is no
variable-length pattern here at all. Why:

- the cost of a step is the number of relationships leaving the frontier, never the number of
  *paths* (a variable-length ``MATCH p = (a)-[:FEEDS*1..10]->(b)`` enumerates every path, which
  explodes on diamonds and on hot columns read by thousands of jobs);
- the caller keeps a visited set, so every column is expanded at most twice (once for any
  path, once for an all-DIRECT path) and the depth bound is enforced exactly;
- a dataset-wide dependency (``FEEDS_DATASET``) counts as one hop like a ``FEEDS`` edge, and the
  target dataset's columns are fetched once per dataset, not once per frontier column.

Hot nodes: a step starts from constrained keys (``Column.key``) and only walks ``FEEDS`` /
``FEEDS_DATASET`` / ``HAS_COLUMN``; the run- and job-level relationships of hot tables
(``READ``, ``READS``...) are never touched.
"""

from __future__ import annotations

from spark_lineage.graph.queries import Query

DOWNSTREAM_STEP = Query(
    "impact_downstream_step",
    """
UNWIND $frontier AS key
MATCH (s:Column {key: key})
CALL (s) {
  MATCH (s)-[f:FEEDS]->(t:Column)
  WHERE NOT $direct_only OR f.type = 'DIRECT'
  RETURN t.key AS next, t.name AS name, t.dataset_key AS dataset, null AS via_dataset, f
  UNION ALL
  MATCH (s)-[f:FEEDS_DATASET]->(d:Dataset)
  WHERE NOT $direct_only
  RETURN null AS next, null AS name, null AS dataset, d.key AS via_dataset, f
}
RETURN collect([s.key, next, name, dataset, via_dataset, f.job, f.type, f.subtype,
                coalesce(f.masking, false)]) AS hops
""",
    "One hop downstream of each frontier column: FEEDS edges to columns, and FEEDS_DATASET "
    "edges to datasets (whose every column is then indirectly impacted). One row holding a "
    "list of [frontier, next, next's name, next's dataset key, via_dataset, job, type, subtype, "
    "masking]: the driver decodes a list several times faster than the same values as records, "
    "and carrying the name and dataset saves a second lookup per reached column.",
)

UPSTREAM_STEP = Query(
    "impact_upstream_step",
    """
UNWIND $frontier AS key
MATCH (t:Column {key: key})
CALL (t) {
  MATCH (s:Column)-[f:FEEDS]->(t)
  WHERE NOT $direct_only OR f.type = 'DIRECT'
  RETURN s AS source, null AS via_dataset, f
  UNION ALL
  MATCH (d:Dataset)-[:HAS_COLUMN]->(t)
  MATCH (s:Column)-[f:FEEDS_DATASET]->(d)
  WHERE NOT $direct_only
  RETURN s AS source, d.key AS via_dataset, f
}
RETURN collect([t.key, source.key, source.name, source.dataset_key, via_dataset, f.job, f.type,
                f.subtype, coalesce(f.masking, false)]) AS hops
""",
    "One hop upstream of each frontier column: columns feeding it, and columns that steer "
    "every row of its dataset (FEEDS_DATASET into the column's dataset).",
)

COLUMN_DETAILS = Query(
    "impact_column_details",
    """
UNWIND $keys AS key
MATCH (c:Column {key: key})
OPTIONAL MATCH (d:Dataset)-[:HAS_COLUMN]->(c)
WITH key, c, d,
     EXISTS { MATCH (:Column)-[:FEEDS]->(c) }
       OR (d IS NOT NULL AND EXISTS { MATCH (:Column)-[:FEEDS_DATASET]->(d) }) AS has_upstream
RETURN collect([key, c.name, d.key, d.name, d.table, has_upstream]) AS columns
""",
    "Name and dataset of columns, and whether anything feeds them (raw sources do not), as one "
    "row of [key, name, dataset_key, dataset_name, table_name, has_upstream] lists. EXISTS "
    "stops at the first match, so a hot column costs no more than a cold one.",
)

DATASET_LABELS = Query(
    "impact_dataset_labels",
    """
UNWIND $dataset_keys AS dataset_key
MATCH (d:Dataset {key: dataset_key})
RETURN d.key AS key, coalesce(d.table, d.name, d.key) AS label
""",
    "What people call datasets (table name, else name), one row per dataset of a report.",
)

DATASET_DETAILS = Query(
    "impact_dataset_details",
    """
UNWIND $dataset_keys AS dataset_key
MATCH (d:Dataset {key: dataset_key})
CALL (d) {
  OPTIONAL MATCH (v:DatasetVersion)-[:VERSION_OF]->(d)
  WITH v ORDER BY v.version DESC LIMIT $max_versions
  RETURN collect(v {.version, .operation, .timestamp}) AS versions
}
RETURN d.key AS key, d.namespace AS namespace, d.name AS name, d.table AS table_name,
       d.format AS format, versions
""",
    "Datasets with their most recent versions (newest first, at most $max_versions), for the "
    "lineage picture; a table with years of hourly versions returns only the newest few.",
)
