"""The Cypher of ``reproduce``: which runs and exact input versions built a dataset version or a
model. Named, parameterised :class:`~spark_lineage.graph.queries.Query` objects, one batched
statement per level of the walk (:mod:`spark_lineage.reproduce`); no text is built from user
input."""

from __future__ import annotations

from spark_lineage.graph.queries import Query

# What a producing run ``r`` read, each dataset with the exact version when one is known.
_RUN_INPUTS = """CALL (r) {
  OPTIONAL MATCH (r)-[read_edge:READ]->(src:Dataset)
  OPTIONAL MATCH (r)-[:READ_VERSION]->(sv:DatasetVersion)-[:VERSION_OF]->(src)
  RETURN collect(CASE WHEN src IS NULL THEN NULL ELSE {
    dataset_key: src.key, namespace: src.namespace, name: src.name, table: src.table,
    format: src.format, version: sv.version, version_key: sv.key,
    version_status: read_edge.version_status, candidates: read_edge.candidates} END) AS inputs
}
"""

REPRODUCE_VERSION_STEP = Query(
    "reproduce_version_step",
    """
UNWIND $version_keys AS vkey
MATCH (v:DatasetVersion {key: vkey})-[:VERSION_OF]->(ds:Dataset)
OPTIONAL MATCH (r:Run)-[:WROTE_VERSION]->(v)
OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
"""
    + _RUN_INPUTS
    + """
RETURN vkey AS version_key, ds.key AS dataset_key, ds.namespace AS namespace, ds.name AS name,
       ds.table AS table_name, ds.format AS format, v.version AS version,
       v.operation AS operation, v.timestamp AS timestamp,
       r.run_id AS run_id, r.started_at AS started_at, r.app_id AS app_id,
       r.app_name AS app_name, j.name AS job_name, inputs
ORDER BY version_key, started_at
""",
    "For each dataset version: the run(s) that wrote it, their job, and every dataset they "
    "read with the exact version (or the version status when it is not known).",
)

REPRODUCE_LAST_WRITE_STEP = Query(
    "reproduce_last_write_step",
    """
UNWIND $reads AS rd
MATCH (ds:Dataset {key: rd.dataset_key})
CALL (ds, rd) {
  MATCH (w:Run)-[wrote:WROTE]->(ds)
  WHERE w.ended_at <= rd.before AND coalesce(w.status, 'COMPLETE') <> 'FAIL'
  RETURN w AS r, wrote.mode AS mode
  ORDER BY w.ended_at DESC
  LIMIT 1
}
OPTIONAL MATCH (r)-[:OF_JOB]->(j:Job)
"""
    + _RUN_INPUTS
    + """
RETURN rd.key AS read_key, ds.key AS dataset_key, ds.namespace AS namespace, ds.name AS name,
       ds.table AS table_name, mode, r.run_id AS run_id, r.started_at AS started_at,
       r.app_name AS app_name, j.name AS job_name, inputs
""",
    "For each read of an unversioned dataset (key, time the reading run started): the last "
    "successful run that wrote it before then, its job, and every dataset that run read.",
)

MODEL_INPUTS = Query(
    "model_inputs",
    """
MATCH (m:Model {key: $model_key})
CALL (m) {
  OPTIONAL MATCH (m)-[:PRODUCED_BY]->(run:Run)-[:OF_JOB]->(job:Job)
  RETURN run AS r, job AS j ORDER BY run.event_time DESC LIMIT 1
}
CALL (m) {
  OPTIONAL MATCH (m)-[t:TRAINED_ON_DATASET]->(src:Dataset)
  OPTIONAL MATCH (m)-[:TRAINED_ON]->(sv:DatasetVersion)-[:VERSION_OF]->(src)
  RETURN collect(CASE WHEN src IS NULL THEN NULL ELSE {
    dataset_key: src.key, namespace: src.namespace, name: src.name, table: src.table,
    format: src.format, version: sv.version, version_key: sv.key,
    version_status: t.version_status, candidates: []} END) AS inputs
}
RETURN m.key AS key, m.name AS name, m.version AS version, m.uri AS uri,
       m.metrics AS metrics, m.recorded_at AS recorded_at, r.run_id AS run_id,
       r.app_name AS app_name, j.name AS job_name, inputs
""",
    "A model version (by key), the latest run that recorded it, and the exact dataset versions "
    "it trained on.",
)
