"""Every Cypher statement of the compliance layer, named and parameterised.

Same rules as :mod:`spark_lineage.graph.queries`: values only through ``$parameters``, no text
built from user input. Propagation walks with :func:`spark_lineage.impact.traverse.traverse`, the
one bounded traversal, at most ``MAX_PROPAGATION_DEPTH`` levels.

Tags live on ``(:Column)-[:TAGGED {source, ...}]->(:Tag {name})``. ``source`` is ``policy``,
``cli`` or ``metadata`` for asserted tags (one relationship per column, tag and source) and
``propagated`` for derived ones (one per column, tag and ``origin`` column). See
``docs/compliance.md``.
"""

from __future__ import annotations

from spark_lineage.graph.queries import Query
from spark_lineage.impact.traverse import MAX_DEPTH

#: Upper bound of propagation (hops from the tagged column): the one bound of every column walk.
MAX_PROPAGATION_DEPTH = MAX_DEPTH

# --- looking things up --------------------------------------------------------------------------

ALL_DATASET_COLUMNS = Query(
    "compliance_all_dataset_columns",
    """
MATCH (d:Dataset)
OPTIONAL MATCH (d)-[:HAS_COLUMN]->(c:Column)
WITH d, c ORDER BY c.name
RETURN d.key AS key, d.name AS name, d.table AS table,
       [x IN collect(c) | [x.key, x.name]] AS columns
ORDER BY key
""",
    "Every dataset with its columns: what a policy file is matched against.",
)

# --- asserted tags --------------------------------------------------------------------------------

WRITE_TAGS = Query(
    "compliance_write_tags",
    """
UNWIND $rows AS row
MATCH (c:Column {key: row.column_key})
MERGE (t:Tag {name: row.tag})
MERGE (c)-[r:TAGGED {source: row.source, assigned_by: row.assigned_by}]->(t)
  ON CREATE SET r.tagged_at = $now, r.created = true
SET r.detail = row.detail, r.updated_at = $now
WITH r, coalesce(r.created, false) AS created
REMOVE r.created
RETURN sum(CASE WHEN created THEN 1 ELSE 0 END) AS created, count(r) AS matched
""",
    "Asserted tags (policy, cli, metadata): one TAGGED per column, tag, source and assigner.",
)

REMOVE_TAGS = Query(
    "compliance_remove_tags",
    """
UNWIND $rows AS row
MATCH (:Column {key: row.column_key})
      -[r:TAGGED {source: row.source, assigned_by: row.assigned_by}]->(:Tag {name: row.tag})
DELETE r
RETURN count(*) AS removed
""",
    "Removes asserted tags (one source at a time; propagated tags follow at the next propagate).",
)

ASSERTED_TAGS = Query(
    "compliance_asserted_tags",
    """
MATCH (c:Column)-[r:TAGGED]->(t:Tag)
WHERE r.source <> 'propagated' AND ($tags IS NULL OR t.name IN $tags)
  AND ($source IS NULL OR r.source = $source)
  AND ($assigned_by IS NULL OR r.assigned_by = $assigned_by)
RETURN c.key AS column_key, c.dataset_key AS dataset_key, t.name AS tag, r.source AS source,
       r.assigned_by AS assigned_by, r.detail AS detail, r.tagged_at AS tagged_at
ORDER BY tag, column_key, source
""",
    "Asserted tags (optionally of some tags, of one source): the origins of propagation.",
)

# --- propagation ----------------------------------------------------------------------------------

PROPAGATED_TAGS = Query(
    "compliance_propagated_tags",
    """
MATCH (c:Column)-[r:TAGGED {source: 'propagated'}]->(t:Tag)
WHERE $tags IS NULL OR t.name IN $tags
RETURN c.key AS column, t.name AS tag, r.origin AS origin, r.carry AS carry, r.path AS path,
       r.path_jobs AS path_jobs, r.path_subtypes AS path_subtypes, r.jobs AS jobs
""",
    "Propagated tags as stored (compared with the fresh result so that only changes are written).",
)

WRITE_PROPAGATED = Query(
    "compliance_write_propagated",
    """
UNWIND $rows AS row
MATCH (c:Column {key: row.column})
MERGE (t:Tag {name: row.tag})
MERGE (c)-[r:TAGGED {source: 'propagated', origin: row.origin}]->(t)
SET r.origin_dataset = row.origin_dataset, r.carry = row.carry, r.depth = row.depth,
    r.path = row.path, r.path_jobs = row.path_jobs, r.path_subtypes = row.path_subtypes,
    r.jobs = row.jobs, r.computed_at = $now
""",
    "Propagated tags: one TAGGED per column, tag and origin column, with carry and path.",
)

DELETE_PROPAGATED = Query(
    "compliance_delete_propagated",
    """
UNWIND $rows AS row
MATCH (:Column {key: row.column})-[r:TAGGED {source: 'propagated', origin: row.origin}]->
      (:Tag {name: row.tag})
DELETE r
""",
    "Removes propagated tags that no longer hold (tag removed, lineage changed).",
)

# --- export ---------------------------------------------------------------------------------------

EXPORT_TAGGED_COLUMNS = Query(
    "compliance_export_tagged_columns",
    """
MATCH (c:Column)-[r:TAGGED]->(t:Tag)
WHERE $tags IS NULL OR t.name IN $tags
WITH c, r, t,
     CASE WHEN r.source = 'propagated' THEN r.origin ELSE c.key END AS origin,
     CASE WHEN r.source = 'propagated' THEN r.origin_dataset ELSE c.dataset_key END
       AS origin_dataset
WHERE $dataset_key IS NULL OR c.dataset_key = $dataset_key OR origin_dataset = $dataset_key
RETURN t.name AS tag, origin, origin_dataset, c.key AS column, c.dataset_key AS dataset,
       c.name AS column_name, r.source AS source, r.carry AS carry, r.depth AS depth,
       r.path AS path, r.path_jobs AS path_jobs, r.path_subtypes AS path_subtypes,
       r.jobs AS jobs, r.tagged_at AS tagged_at
ORDER BY tag, origin, column, source
""",
    "Every tagged column of the scope: asserted tags (the sources) and what propagation derived.",
)

EXPORT_ORIGIN_READERS = Query(
    "compliance_export_origin_readers",
    """
UNWIND $keys AS key
MATCH (s:Column {key: key})
CALL (s) {
  MATCH (s)-[f:FEEDS]->(:Column) RETURN f.job AS job
  UNION
  MATCH (s)-[f:FEEDS_DATASET]->(:Dataset) RETURN f.job AS job
}
RETURN s.key AS column, collect(DISTINCT job) AS jobs
""",
    "The jobs that read each tagged source column (those with a lineage edge out of it).",
)

EXPORT_ACTIVITY = Query(
    "compliance_export_activity",
    """
UNWIND $targets AS t
MATCH (r:Run)
WHERE r.ended_at >= $since AND r.ended_at < $until AND r.job_key IN t.jobs
MATCH (r)-[io:READ|WROTE]->(d:Dataset {key: t.dataset})
WHERE type(io) = t.access
OPTIONAL MATCH (v:DatasetVersion {key: d.key + '@v' + toString(io.version)})
RETURN t.id AS target, type(io) AS access, r.run_id AS run_id, r.job_key AS job,
       r.status AS status, r.started_at AS started_at, r.ended_at AS ended_at,
       io.version AS version, io.version_status AS version_status,
       v.timestamp AS version_timestamp, v.operation AS version_operation
ORDER BY ended_at, run_id, target
""",
    "Finished runs in [$since, $until) (by end time) of the jobs that read a tagged source or "
    "write a column carrying a tag, with the version they read or wrote.",
)
