"""The Cypher of ``label`` and ``history``: parameterised
:class:`~spark_lineage.graph.queries.Query` objects; no text is built from user input."""

from __future__ import annotations

from spark_lineage.graph.queries import Query

# One version ``v`` as history and diff show it: what Delta recorded of its commit, the latest run
# that wrote it with its job, who (Delta's user, else the run's Spark user), and its labels.
_VERSION_ROW = """CALL (v) {
  OPTIONAL MATCH (r:Run)-[:WROTE_VERSION]->(v)
  OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
  RETURN r, j ORDER BY r.started_at DESC LIMIT 1
}
CALL (v) {
  OPTIONAL MATCH (l:VersionLabel)-[:LABELS]->(v)
  WITH l ORDER BY l.name
  RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE {name: l.name, note: l.note} END) AS labels
}
RETURN v.version AS version, v.timestamp AS timestamp, v.operation AS operation,
       v.operation_parameters AS operation_parameters, v.operation_metrics AS operation_metrics,
       v.user_metadata AS user_metadata, coalesce(v.user, r.user) AS user,
       v.engine AS engine, r.run_id AS run_id, r.started_at AS started_at,
       r.app_name AS app_name, j.name AS job_name, labels
"""

SET_LABEL = Query(
    "timeline_set_label",
    """
MATCH (v {key: $version_key}) WHERE v:DatasetVersion OR v:Model
MERGE (l:VersionLabel {key: $label_key})
SET l.name = $name, l.target = $target, l.note = $note, l.source = 'cli',
    l.labelled_at = datetime(), l.labelled_by = $labelled_by
WITH l, v
OPTIONAL MATCH (l)-[old:LABELS]->()
DELETE old
WITH DISTINCT l, v
MERGE (l)-[:LABELS]->(v)
RETURN v.key AS key
""",
    "Put a label on a dataset version or model version (moving it when it was elsewhere).",
)

REMOVE_LABEL = Query(
    "timeline_remove_label",
    """
MATCH (l:VersionLabel {key: $label_key})
DETACH DELETE l
RETURN count(*) AS removed
""",
    "Take a label away.",
)

DATASET_HISTORY = Query(
    "timeline_dataset_history",
    """
MATCH (:Dataset {key: $dataset_key})<-[:VERSION_OF]-(v:DatasetVersion)
WITH v ORDER BY v.version DESC LIMIT $limit
"""
    + _VERSION_ROW
    + """ORDER BY version DESC
""",
    "The newest $limit versions of a dataset, each with what Delta recorded of its commit, the "
    "run and job that wrote it, who, and its labels.",
)

DATASET_VERSION_COUNT = Query(
    "timeline_dataset_version_count",
    """
MATCH (:Dataset {key: $dataset_key})<-[:VERSION_OF]-(v:DatasetVersion)
RETURN count(v) AS n
""",
    "How many versions a dataset has (history prints it when --limit hides some).",
)

MODEL_HISTORY = Query(
    "timeline_model_history",
    """
MATCH (m:Model {name: $name})
WITH m ORDER BY m.recorded_at DESC LIMIT $limit
CALL (m) {
  OPTIONAL MATCH (m)-[:PRODUCED_BY]->(r:Run)
  OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
  RETURN r, j ORDER BY r.event_time DESC LIMIT 1
}
CALL (m) {
  OPTIONAL MATCH (m)-[:TRAINED_ON]->(v:DatasetVersion)-[:VERSION_OF]->(ds:Dataset)
  WITH v, ds ORDER BY ds.key
  RETURN collect(CASE WHEN v IS NULL THEN NULL ELSE {
    namespace: ds.namespace, name: ds.name, table: ds.table, version: v.version} END) AS inputs
}
CALL (m) {
  OPTIONAL MATCH (l:VersionLabel)-[:LABELS]->(m)
  WITH l ORDER BY l.name
  RETURN collect(CASE WHEN l IS NULL THEN NULL ELSE {name: l.name, note: l.note} END) AS labels
}
RETURN m.version AS version, m.recorded_at AS timestamp, m.uri AS uri,
       m.mlflow_run_id AS mlflow_run_id, r.user AS user, r.run_id AS run_id,
       r.app_name AS app_name, j.name AS job_name, inputs, labels
ORDER BY timestamp DESC
""",
    "The newest $limit recorded versions of a model, each with the run that recorded it, the "
    "exact dataset versions it trained on, and its labels.",
)

MODEL_VERSION_COUNT = Query(
    "timeline_model_version_count",
    """
MATCH (m:Model {name: $name})
RETURN count(m) AS n
""",
    "How many versions a model has.",
)

# --- diff -------------------------------------------------------------------------------------

DATASET_VERSION_FACTS = Query(
    "timeline_dataset_version_facts",
    """
MATCH (v:DatasetVersion {key: $version_key})
CALL (v) {
  OPTIONAL MATCH (r:Run)-[:WROTE_VERSION]->(v)
  RETURN r ORDER BY r.started_at DESC LIMIT 1
}
OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
CALL (r) {
  OPTIONAL MATCH (r)-[:READ]->(src:Dataset)
  OPTIONAL MATCH (r)-[:READ_VERSION]->(sv:DatasetVersion)-[:VERSION_OF]->(src)
  RETURN collect(CASE WHEN src IS NULL THEN NULL ELSE {
    key: src.key, namespace: src.namespace, name: src.name, table: src.table,
    version: sv.version} END) AS inputs
}
RETURN v.version AS version, v.columns AS columns, v.column_types AS column_types,
       v.column_fingerprints AS column_fingerprints, j.name AS job_name, r.run_id AS run_id,
       inputs
""",
    "What one dataset version is made of: its column set (names, types, lineage fingerprints), "
    "the run and job that wrote it, and the exact versions that run read.",
)

MODEL_VERSION_FACTS = Query(
    "timeline_model_version_facts",
    """
MATCH (m:Model {key: $version_key})
CALL (m) {
  OPTIONAL MATCH (m)-[:TRAINED_ON_DATASET]->(src:Dataset)
  OPTIONAL MATCH (m)-[:TRAINED_ON]->(sv:DatasetVersion)-[:VERSION_OF]->(src)
  RETURN collect(CASE WHEN src IS NULL THEN NULL ELSE {
    key: src.key, namespace: src.namespace, name: src.name, table: src.table,
    version: sv.version} END) AS inputs
}
OPTIONAL MATCH (m)-[:PRODUCED_BY]->(r:Run)
WITH m, inputs, r ORDER BY r.event_time DESC LIMIT 1
OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
RETURN m.version AS version, m.feature_columns AS feature_columns, m.params AS params,
       m.metrics AS metrics, j.name AS job_name, r.run_id AS run_id, inputs
""",
    "What one model version is made of: its feature columns, parameters and metrics, the run "
    "that recorded it, and the exact dataset versions it trained on.",
)

DATASET_VERSIONS_BETWEEN = Query(
    "timeline_dataset_versions_between",
    """
MATCH (:Dataset {key: $dataset_key})<-[:VERSION_OF]-(v:DatasetVersion)
WHERE v.version > $after AND v.version <= $upto
"""
    + _VERSION_ROW
    + """ORDER BY version
""",
    "The commits of a dataset after version $after up to and including $upto, oldest first, as "
    "history shows them.",
)
