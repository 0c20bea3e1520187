"""The :class:`Query` type and the Cypher of ``graph/`` itself: schema, the event writer,
retention and migration.

Each reader package owns its own statements, as :class:`Query` objects of this module's type:
:mod:`spark_lineage.names.queries` (name resolution), :mod:`spark_lineage.impact.queries`,
:mod:`spark_lineage.compliance.queries` and :mod:`spark_lineage.reproduce_queries`;
inspection-only statements live with the tests (``tests/graph_inspect.py``). No query text is
ever built from user input; the few compile-time pieces shared between statements are module
constants.

The graph model they implement is documented in ``docs/graph.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Query:
    """A named Cypher statement; ``text`` only ever takes values through ``$parameters``."""

    name: str
    text: str
    doc: str = ""


#: How many recent run ids a FEEDS edge remembers to count each run once (see docs/graph.md).
RECENT_RUNS_WINDOW = 16

# --- schema -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemaRule:
    """A uniqueness constraint or a range index on one property of a label or relationship type."""

    name: str
    kind: str  # "UNIQUENESS" or "RANGE"
    label: str
    prop: str
    relationship: bool = False

    @property
    def statement(self) -> str:
        """The idempotent DDL (names and labels are compile-time constants, never user input)."""
        pattern = f"()-[n:{self.label}]-()" if self.relationship else f"(n:{self.label})"
        if self.kind == "UNIQUENESS":
            return (
                f"CREATE CONSTRAINT {self.name} IF NOT EXISTS FOR {pattern} "
                f"REQUIRE n.{self.prop} IS UNIQUE"
            )
        return f"CREATE INDEX {self.name} IF NOT EXISTS FOR {pattern} ON (n.{self.prop})"


#: Every uniqueness constraint (each also backs an index used by MERGE) and secondary index.
SCHEMA: tuple[SchemaRule, ...] = (
    SchemaRule("dataset_key", "UNIQUENESS", "Dataset", "key"),
    SchemaRule("column_key", "UNIQUENESS", "Column", "key"),
    SchemaRule("dataset_version_key", "UNIQUENESS", "DatasetVersion", "key"),
    SchemaRule("job_key", "UNIQUENESS", "Job", "key"),
    SchemaRule("run_id", "UNIQUENESS", "Run", "run_id"),
    SchemaRule("model_key", "UNIQUENESS", "Model", "key"),
    SchemaRule("tag_name", "UNIQUENESS", "Tag", "name"),
    SchemaRule("version_label_key", "UNIQUENESS", "VersionLabel", "key"),
    SchemaRule("model_sequence_name", "UNIQUENESS", "ModelSequence", "name"),
    SchemaRule("dataset_name", "RANGE", "Dataset", "name"),
    SchemaRule("dataset_table", "RANGE", "Dataset", "table"),
    SchemaRule("column_name", "RANGE", "Column", "name"),
    SchemaRule("model_name", "RANGE", "Model", "name"),
    SchemaRule("run_ended_at", "RANGE", "Run", "ended_at"),
    SchemaRule("run_event_time", "RANGE", "Run", "event_time"),
    SchemaRule("dataset_version_timestamp", "RANGE", "DatasetVersion", "timestamp"),
)

#: Indexes earlier versions created and the model no longer wants, dropped by ``ensure_schema``.
#: ``feeds_job`` (a range index on ``FEEDS.job``) made the planner answer the ``MERGE`` of a
#: column edge by seeking every ``FEEDS`` edge of the job and filtering on the two columns: each
#: edge written scanned all the job's edges (a 2,000-column write: 5-13 s per 2,000 edges on a
#: fresh graph, 0.3-0.6 s without the index, where the planner expands between the two bound
#: columns instead).
RETIRED_INDEXES: dict[str, Query] = {
    "feeds_job": Query("drop_feeds_job", "DROP INDEX feeds_job IF EXISTS", "Retired index."),
}

SHOW_SCHEMA = Query(
    "show_schema",
    """
SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, state, owningConstraint
RETURN name, type, entityType, labelsOrTypes, properties, state, owningConstraint
""",
    "Every index, including the ones backing uniqueness constraints (owningConstraint set).",
)
AWAIT_INDEXES = Query("await_indexes", "CALL db.awaitIndexes($timeout_s)")

# --- writes: one event = one managed transaction of the statements below -----------------------

WRITE_RUN = Query(
    "write_run",
    """
MERGE (j:Job {key: $run.job_key})
  ON CREATE SET j.namespace = $run.job_namespace, j.name = $run.job_name
MERGE (r:Run {run_id: $run.run_id})
WITH j, r, coalesce(r.applied_events, []) AS applied, r.status AS previous_status
SET r.status = CASE
      WHEN previous_status IN ['COMPLETE', 'FAIL'] AND $run.status = 'RUNNING' THEN previous_status
      ELSE $run.status END,
    r.started_at = CASE WHEN r.started_at IS NULL OR $run.started_at < r.started_at
                        THEN $run.started_at ELSE r.started_at END,
    r.ended_at = CASE WHEN r.ended_at IS NULL OR $run.ended_at > r.ended_at
                      THEN $run.ended_at ELSE r.ended_at END,
    r.event_time = CASE WHEN r.event_time IS NULL OR $run.event_time > r.event_time
                        THEN $run.event_time ELSE r.event_time END,
    r.app_id = coalesce($run.app_id, r.app_id),
    r.app_name = coalesce($run.app_name, r.app_name),
    r.user = coalesce($run.user, r.user),
    r.master = coalesce($run.master, r.master),
    r.spark_version = coalesce($run.spark_version, r.spark_version),
    r.function_name = coalesce($run.function_name, r.function_name),
    r.sql = coalesce($run.sql, r.sql),
    r.error = coalesce($run.error, r.error),
    r.parent_run_id = coalesce($run.parent_run_id, r.parent_run_id),
    r.job_key = $run.job_key,
    r.applied_events = CASE WHEN $run.event_key IN applied THEN applied
                            ELSE applied + $run.event_key END
MERGE (r)-[:OF_JOB]->(j)
RETURN $run.event_key IN applied AS already_applied
""",
    "Job and Run; returns whether this exact event was applied before (counters stay exact).",
)

JOB_OUTPUT_NAMES = Query(
    "job_output_names",
    """
MATCH (j:Job {namespace: $namespace})-[:WRITES]->(ds:Dataset)
WHERE j.name STARTS WITH $prefix
WITH j, collect(ds) AS outputs
WHERE size(outputs) = 1
WITH j, outputs[0] AS ds
RETURN ds.namespace AS namespace, ds.name AS name, ds.table AS table, j.name AS job
ORDER BY job
""",
    "The application's jobs that write one dataset, with that dataset (job-name memory).",
)

WRITE_DATASETS = Query(
    "write_datasets",
    """
UNWIND $datasets AS d
MERGE (ds:Dataset {key: d.key})
  ON CREATE SET ds.namespace = d.namespace, ds.name = d.name
FOREACH (_ IN CASE WHEN d.format IS NOT NULL AND d.format <> coalesce(ds.format, '')
                   THEN [1] ELSE [] END | SET ds.format = d.format)
FOREACH (_ IN CASE WHEN d.table IS NOT NULL AND d.table <> coalesce(ds.table, '')
                   THEN [1] ELSE [] END | SET ds.table = d.table)
WITH ds, d
UNWIND d.columns AS c
MERGE (col:Column {key: c.key})
  ON CREATE SET col.name = c.name, col.dataset_key = d.key, col.type = c.type,
                col.new = true
FOREACH (_ IN CASE WHEN col.new THEN [1] ELSE [] END |
  MERGE (ds)-[:HAS_COLUMN]->(col)
  REMOVE col.new)
FOREACH (_ IN CASE WHEN c.type IS NOT NULL AND c.type <> coalesce(col.type, '')
                   THEN [1] ELSE [] END | SET col.type = c.type)
""",
    "Datasets with their columns (types only overwrite when known).",
)

WRITE_IO = Query(
    "write_io",
    """
MATCH (r:Run {run_id: $run_id})-[:OF_JOB]->(j:Job)
UNWIND $io AS io
MATCH (ds:Dataset {key: io.dataset_key})
FOREACH (_ IN CASE WHEN io.direction = 'READ' THEN [1] ELSE [] END |
  MERGE (r)-[x:READ]->(ds)
  SET x.version = coalesce(io.version, x.version),
      x.version_status = coalesce(io.version_status, x.version_status),
      x.candidates = CASE WHEN size(io.candidates) > 0 OR x.candidates IS NULL
                          THEN io.candidates ELSE x.candidates END
  MERGE (j)-[y:READS]->(ds)
  SET y.first_seen = CASE WHEN y.first_seen IS NULL OR $event_time < y.first_seen
                          THEN $event_time ELSE y.first_seen END,
      y.last_seen = CASE WHEN y.last_seen IS NULL OR $event_time > y.last_seen
                         THEN $event_time ELSE y.last_seen END)
FOREACH (_ IN CASE WHEN io.direction = 'WRITE' THEN [1] ELSE [] END |
  MERGE (r)-[x:WROTE]->(ds)
  SET x.version = coalesce(io.version, x.version),
      x.version_status = coalesce(io.version_status, x.version_status),
      x.candidates = CASE WHEN size(io.candidates) > 0 OR x.candidates IS NULL
                          THEN io.candidates ELSE x.candidates END,
      x.mode = coalesce(io.mode, x.mode)
  MERGE (j)-[y:WRITES]->(ds)
  SET y.first_seen = CASE WHEN y.first_seen IS NULL OR $event_time < y.first_seen
                          THEN $event_time ELSE y.first_seen END,
      y.last_seen = CASE WHEN y.last_seen IS NULL OR $event_time > y.last_seen
                         THEN $event_time ELSE y.last_seen END)
WITH r, ds, io
WHERE io.version_key IS NOT NULL
MERGE (v:DatasetVersion {key: io.version_key})
  ON CREATE SET v.version = io.version, v.dataset_key = io.dataset_key
SET v.timestamp = coalesce(io.timestamp, v.timestamp),
    v.operation = coalesce(io.operation, v.operation),
    v.operation_parameters = coalesce(io.operation_parameters, v.operation_parameters),
    v.operation_metrics = coalesce(io.operation_metrics, v.operation_metrics),
    v.user_metadata = coalesce(io.user_metadata, v.user_metadata),
    v.engine = coalesce(io.engine, v.engine),
    v.user_source = CASE WHEN io.user IS NULL THEN v.user_source ELSE io.user_source END,
    v.user = coalesce(io.user, v.user),
    v.columns = coalesce(io.columns, v.columns),
    v.column_types = coalesce(io.column_types, v.column_types),
    v.column_fingerprints = coalesce(io.column_fingerprints, v.column_fingerprints)
MERGE (v)-[:VERSION_OF]->(ds)
FOREACH (_ IN CASE WHEN io.direction = 'READ' THEN [1] ELSE [] END |
  MERGE (r)-[:READ_VERSION]->(v))
FOREACH (_ IN CASE WHEN io.direction = 'WRITE' THEN [1] ELSE [] END |
  MERGE (r)-[:WROTE_VERSION]->(v))
""",
    "READ/WROTE (run->dataset), READS/WRITES (job->dataset), versions and run->version links.",
)

WRITE_VERSION_LABELS = Query(
    "write_version_labels",
    """
UNWIND $labels AS l
MATCH (v:DatasetVersion {key: l.version_key})
MERGE (lab:VersionLabel {key: l.key})
WITH v, lab, l, datetime({epochMillis: l.labelled_at}) AS labelled_at
WHERE lab.labelled_at IS NULL OR labelled_at >= lab.labelled_at
SET lab.name = l.name, lab.note = l.note, lab.source = 'userMetadata',
    lab.labelled_at = labelled_at, lab.labelled_by = l.labelled_by
WITH v, lab
OPTIONAL MATCH (lab)-[old:LABELS]->(other)
WHERE other <> v
DELETE old
WITH DISTINCT v, lab
MERGE (lab)-[:LABELS]->(v)
""",
    "Labels a written version takes from its userMetadata (`label:<name> <note>`). One label "
    "name per dataset: a newer labelling moves it; a replayed older one changes nothing.",
)

LOCK_MODEL_NAME = Query(
    "lock_model_name",
    """
MERGE (seq:ModelSequence {name: $name})
SET seq.last_run_id = $run_id
""",
    "Takes the write lock of a model name (one (:ModelSequence) per name, unique) until the "
    "transaction ends, before WRITE_MODEL reads the highest version of that name: two "
    "applications recording the same name at once are numbered one after the other, never both "
    "max + 1. A separate statement, so the lock is held before that read whatever the plan.",
)

WRITE_MODEL = Query(
    "write_model",
    """
MATCH (r:Run {run_id: $run_id})
CALL {
  OPTIONAL MATCH (replaced:Model {event_id: $model.replaces_event_id})
  WHERE replaced.origin = 'fit_save'
  DETACH DELETE replaced
}
OPTIONAL MATCH (same:Model {name: $model.name, event_id: $model.event_id})
WITH r, same
OPTIONAL MATCH (other:Model {name: $model.name})
WITH r, same, max(toInteger(other.version)) AS top
WITH r, coalesce($model.version, same.version, toString(coalesce(top, 0) + 1)) AS version
MERGE (m:Model {key: $model.name + '@' + version})
WITH r, m, version, (m.recorded_at IS NULL OR $model.recorded_at >= m.recorded_at) AS newest
MERGE (m)-[:PRODUCED_BY]->(r)
WITH m, version, newest
WHERE newest
SET m.name = $model.name, m.version = version, m.uri = $model.uri,
    m.framework = $model.framework, m.metrics = $model.metrics, m.params = $model.params,
    m.mlflow_run_id = $model.mlflow_run_id, m.recorded_at = $model.recorded_at,
    m.event_id = $model.event_id, m.origin = $model.origin,
    m.mlflow_experiment_id = $model.mlflow_experiment_id,
    m.registered_name = $model.registered_name, m.registered_version = $model.registered_version,
    m.feature_columns = $model.feature_columns, m.save_path = $model.save_path
WITH m
OPTIONAL MATCH (m)-[old:TRAINED_ON|TRAINED_ON_DATASET]->()
DELETE old
WITH DISTINCT m
UNWIND $model.inputs AS i
MATCH (ds:Dataset {key: i.dataset_key})
MERGE (m)-[t:TRAINED_ON_DATASET]->(ds)
SET t.version_status = i.version_status
WITH m, i
WHERE i.version_key IS NOT NULL
MATCH (v:DatasetVersion {key: i.version_key})
MERGE (m)-[t:TRAINED_ON]->(v)
SET t.columns = i.columns
""",
    "A model version, the run that recorded it, and the exact dataset versions it trained on "
    "(with the columns its features came from). A record_model event for a model already saved "
    "removes the fit_save version it stands for. Without a version, the next number of that "
    "name (max numeric version + 1), unless this event (event_id) was written before: a "
    "replayed event keeps the version it got. Recording the same name@version again replaces "
    "its training inputs (only with a recording at least as new, so a replayed older event "
    "changes nothing).",
)

# The aggregation shared by FEEDS and FEEDS_DATASET: first/last seen, distinct-run counter.
_AGGREGATE_EDGE = f"""
  ON CREATE SET f.first_seen = $event_time, f.last_seen = $event_time, f.runs = 0,
                f.recent_runs = []
WITH f, e, f.last_seen AS previous_last_seen, coalesce(f.recent_runs, []) AS recent
SET f.type = e.type,
    f.masking = CASE WHEN $event_time >= previous_last_seen OR f.masking IS NULL
                     THEN e.masking ELSE f.masking END,
    f.description = coalesce(e.description, f.description),
    f.first_seen = CASE WHEN $event_time < f.first_seen THEN $event_time ELSE f.first_seen END,
    f.last_seen = CASE WHEN $event_time > previous_last_seen
                       THEN $event_time ELSE previous_last_seen END,
    f.last_run_id = CASE WHEN $event_time >= previous_last_seen
                         THEN $run_id ELSE f.last_run_id END,
    f.runs = CASE WHEN $count_run AND NOT $run_id IN recent THEN f.runs + 1 ELSE f.runs END,
    f.recent_runs = CASE WHEN $run_id IN recent THEN recent
                         ELSE ([$run_id] + recent)[0..{RECENT_RUNS_WINDOW}] END
"""

WRITE_COLUMN_EDGES = Query(
    "write_column_edges",
    """
UNWIND $edges AS e
MATCH (s:Column {key: e.source_key})
MATCH (t:Column {key: e.target_key})
MERGE (s)-[f:FEEDS {job: $job_key, subtype: e.subtype}]->(t)
"""
    + _AGGREGATE_EDGE,
    "Column-[:FEEDS]->Column, one edge per (source, target, job, subtype).",
)

WRITE_DATASET_EDGES = Query(
    "write_dataset_edges",
    """
UNWIND $edges AS e
MATCH (s:Column {key: e.source_key})
MATCH (t:Dataset {key: e.target_key})
MERGE (s)-[f:FEEDS_DATASET {job: $job_key, subtype: e.subtype}]->(t)
"""
    + _AGGREGATE_EDGE,
    "Column-[:FEEDS_DATASET]->Dataset: INDIRECT sources that steer every row of an output.",
)

#: The benchmark's baseline: one statement (and transaction) per column edge.
WRITE_ONE_EDGE = Query(
    "write_one_edge",
    """
MERGE (s:Column {key: $source_key}) ON CREATE SET s.name = $source_name
MERGE (t:Column {key: $target_key}) ON CREATE SET t.name = $target_name
MERGE (s)-[f:FEEDS {job: $job_key, subtype: $subtype}]->(t)
  ON CREATE SET f.first_seen = $event_time, f.runs = 1
SET f.type = $type, f.masking = $masking, f.last_seen = $event_time
""",
)

# --- reads used by doctor and the CLI ------------------------------------------------------------

COUNT_LINEAGE_NODES = Query(
    "count_lineage_nodes",
    """
CALL () { MATCH (n:Dataset) RETURN count(n) AS datasets }
CALL () { MATCH (n:Column) RETURN count(n) AS columns }
CALL () { MATCH (n:Run) RETURN count(n) AS runs }
CALL () { MATCH (n:Job) RETURN count(n) AS jobs }
CALL () { MATCH (n:DatasetVersion) RETURN count(n) AS versions }
RETURN datasets, columns, runs, jobs, versions
""",
)

# --- retention -----------------------------------------------------------------------------------

PRUNE_RUNS = Query(
    "prune_runs",
    """
MATCH (r:Run)
WHERE coalesce(r.ended_at, r.started_at, r.event_time) < $before
WITH r LIMIT $batch_size
DETACH DELETE r
RETURN count(*) AS deleted
""",
    "Deletes one batch of runs that ended before $before (epoch ms) with their READ/WROTE links.",
)

COUNT_PRUNABLE_RUNS = Query(
    "count_prunable_runs",
    """
MATCH (r:Run)
WHERE coalesce(r.ended_at, r.started_at, r.event_time) < $before
RETURN count(r) AS runs
""",
)

# A version is kept when it is its dataset's newest known version, when a remaining run read or
# wrote it, when a model was trained on it, or when it carries a label: pruning never cuts what
# is still referenced.
_PRUNABLE_VERSIONS = """
MATCH (v:DatasetVersion)-[:VERSION_OF]->(ds:Dataset)
WHERE coalesce(v.timestamp, 0) < $before
  AND NOT EXISTS { (:Run)-[:READ_VERSION|WROTE_VERSION]->(v) }
  AND NOT EXISTS { (:Model)-[:TRAINED_ON]->(v) }
  AND NOT EXISTS { (:VersionLabel)-[:LABELS]->(v) }
  AND EXISTS { (newer:DatasetVersion)-[:VERSION_OF]->(ds) WHERE newer.version > v.version }
"""

PRUNE_VERSIONS = Query(
    "prune_versions",
    _PRUNABLE_VERSIONS
    + """
WITH v LIMIT $batch_size
DETACH DELETE v
RETURN count(*) AS deleted
""",
    "Deletes one batch of unreferenced, superseded dataset versions older than $before.",
)

COUNT_PRUNABLE_VERSIONS = Query(
    "count_prunable_versions", _PRUNABLE_VERSIONS + "RETURN count(v) AS versions"
)

PRUNE_ORPHAN_JOBS = Query(
    "prune_orphan_jobs",
    """
MATCH (j:Job)
WHERE NOT EXISTS { (j)<-[:OF_JOB]-(:Run) }
  AND NOT EXISTS { (j)-[:READS|WRITES]->() }
  AND NOT EXISTS { ()-[:FEEDS {job: j.key}]->() }
DETACH DELETE j
RETURN count(*) AS deleted
""",
    "Jobs left with no run, no dataset link and no edge (nothing refers to them any more).",
)

ALL_QUERIES: tuple[Query, ...] = (
    SHOW_SCHEMA,
    AWAIT_INDEXES,
    WRITE_RUN,
    WRITE_DATASETS,
    WRITE_IO,
    WRITE_VERSION_LABELS,
    WRITE_COLUMN_EDGES,
    WRITE_DATASET_EDGES,
    WRITE_ONE_EDGE,
    COUNT_LINEAGE_NODES,
    PRUNE_RUNS,
    COUNT_PRUNABLE_RUNS,
    PRUNE_VERSIONS,
    COUNT_PRUNABLE_VERSIONS,
    PRUNE_ORPHAN_JOBS,
)


# --- migration of graphs built by earlier versions (spark_lineage.graph.migrate) ---------------
#
# Reads gather plain facts for the planner; moves run in batches: each statement handles at most
# $batch_size relationships, deletes what it moved and returns the count, and the caller repeats
# it until a batch comes back short. Column keys are `<dataset key>::<column>` (ColumnRef.key),
# version keys `<dataset key>@v<version>`. $jobs (a list of job keys, or null for all) limits a
# move to the relationships of some jobs: a run's through OF_JOB, a model's through PRODUCED_BY,
# an edge's by its `job`.

MIGRATE_TABLE_DATASETS = Query(
    "migrate_table_datasets",
    """
MATCH (d:Dataset)
WHERE d.table IS NOT NULL OR d.namespace = $catalog_namespace
RETURN d.key AS key, d.namespace AS namespace, d.name AS name, d.table AS table,
       d.format AS format
ORDER BY key
""",
    "Catalog tables: located datasets with a table name, and location-less `spark_catalog` ones.",
)

MIGRATE_MEMORY_DATASETS = Query(
    "migrate_memory_datasets",
    """
MATCH (m:Dataset {namespace: $memory_namespace})
CALL (m) {
  MATCH (m)<-[:READS|WRITES]-(j:Job) RETURN j.key AS job
  UNION
  MATCH (m)<-[:READ|WROTE]-(:Run)-[:OF_JOB]->(j:Job) RETURN j.key AS job
  UNION
  MATCH (m)-[:HAS_COLUMN]->(:Column)-[f:FEEDS|FEEDS_DATASET]-() RETURN f.job AS job
  UNION
  MATCH (m)<-[f:FEEDS_DATASET]-(:Column) RETURN f.job AS job
  UNION
  MATCH (m)<-[:TRAINED_ON_DATASET]-(:Model)-[:PRODUCED_BY]->(:Run)-[:OF_JOB]->(j:Job)
  RETURN j.key AS job
}
WITH m, collect(DISTINCT job) AS jobs
RETURN m.key AS key, m.name AS name, m.format AS format, jobs
ORDER BY key
""",
    "In-memory datasets with every job that reads, writes, has an edge on or trained on them.",
)

_MIGRATE_DATASET_MAP = """{key: d.key, namespace: d.namespace, name: d.name, table: d.table,
                           format: d.format, first_seen: x.first_seen}"""

MIGRATE_JOBS = Query(
    "migrate_jobs",
    """
MATCH (j:Job)
CALL (j) {
  OPTIONAL MATCH (j)<-[:OF_JOB]-(r:Run)
  RETURN collect(DISTINCT r.app_name) AS app_names,
         collect(DISTINCT CASE WHEN r IS NULL THEN NULL ELSE coalesce(r.function_name, '') END)
           AS functions
}
CALL (j) {
  OPTIONAL MATCH (j)-[x:WRITES]->(d:Dataset)
  RETURN collect(CASE WHEN d IS NULL THEN NULL ELSE """
    + _MIGRATE_DATASET_MAP
    + """ END) AS writes
}
CALL (j) {
  OPTIONAL MATCH (j)-[x:READS]->(d:Dataset)
  RETURN collect(CASE WHEN d IS NULL THEN NULL ELSE """
    + _MIGRATE_DATASET_MAP
    + """ END) AS reads
}
CALL (j) {
  OPTIONAL MATCH (j)<-[:OF_JOB]-(:Run)<-[:PRODUCED_BY]-(m:Model)
  RETURN collect(DISTINCT m.name) AS models
}
RETURN j.key AS key, j.namespace AS namespace, j.name AS name, app_names, functions, writes,
       reads, models
ORDER BY key
""",
    "Every job with its runs' application and function names, the datasets it writes and "
    "reads (with first seen) and the models its runs recorded: what names it.",
)

MIGRATE_ENSURE_DATASET = Query(
    "migrate_ensure_dataset",
    """
MATCH (old:Dataset {key: $source_key})
MERGE (d:Dataset {key: $target.key})
  ON CREATE SET d.namespace = $target.namespace, d.name = $target.name, d.table = old.table
SET d.format = coalesce(d.format, old.format)
WITH old, d
MATCH (old)-[:HAS_COLUMN]->(c:Column)
MERGE (n:Column {key: $target.key + '::' + c.name})
  ON CREATE SET n.name = c.name, n.dataset_key = $target.key, n.type = c.type
SET n.type = coalesce(n.type, c.type)
MERGE (d)-[:HAS_COLUMN]->(n)
""",
    "The target dataset of a move (created for an in-memory copy) with every column of the "
    "source dataset (the columns it already has are kept, types only filled in).",
)

# Folds the moved edge `f` into `g` (just MERGEd, new or not) as the writer would have built one
# edge from both: first/last seen outward, runs added without the run ids both remember,
# recent_runs newest first, masking/type/description/last_run_id from the more recent edge.
_FOLD_EDGE = f"""
WITH f, g, coalesce(g.recent_runs, []) AS kept, coalesce(f.recent_runs, []) AS moved,
     g.last_seen IS NULL OR coalesce(f.last_seen, 0) >= g.last_seen AS newer
SET g.runs = coalesce(g.runs, 0) + coalesce(f.runs, 0) - size([r IN moved WHERE r IN kept]),
    g.recent_runs = reduce(acc = [], r IN CASE WHEN newer THEN moved + kept ELSE kept + moved END
                           | CASE WHEN r IN acc THEN acc ELSE acc + r END)[0..{RECENT_RUNS_WINDOW}],
    g.first_seen = CASE WHEN g.first_seen IS NULL OR f.first_seen < g.first_seen
                        THEN f.first_seen ELSE g.first_seen END,
    g.last_seen = CASE WHEN newer THEN f.last_seen ELSE g.last_seen END,
    g.type = CASE WHEN newer OR g.type IS NULL THEN f.type ELSE g.type END,
    g.masking = CASE WHEN newer OR g.masking IS NULL THEN f.masking ELSE g.masking END,
    g.last_run_id = CASE WHEN newer OR g.last_run_id IS NULL THEN f.last_run_id
                         ELSE g.last_run_id END,
    g.description = CASE WHEN newer THEN coalesce(f.description, g.description)
                         ELSE coalesce(g.description, f.description) END
DELETE f
RETURN count(*) AS moved
"""

# A column of the source dataset maps to the target's column of the same name (an edge inside
# the source dataset, e.g. a job that rewrites the table it reads, stays inside the target).
_MAPPED_SOURCE = (
    "CASE WHEN s.dataset_key = $source_key THEN $target_key + '::' + s.name ELSE s.key END"
)
_MAPPED_TARGET = (
    "CASE WHEN t.dataset_key = $source_key THEN $target_key + '::' + t.name ELSE t.key END"
)

MIGRATE_MOVE_FEEDS_OUT = Query(
    "migrate_move_feeds_out",
    """
MATCH (:Dataset {key: $source_key})-[:HAS_COLUMN]->(s:Column)-[f:FEEDS]->(t:Column)
WHERE $jobs IS NULL OR f.job IN $jobs
WITH s, f, t LIMIT $batch_size
MATCH (a:Column {key: $target_key + '::' + s.name})
MATCH (b:Column {key: """
    + _MAPPED_TARGET
    + """})
MERGE (a)-[g:FEEDS {job: f.job, subtype: f.subtype}]->(b)
"""
    + _FOLD_EDGE,
    "Moves a batch of FEEDS edges leaving the source dataset's columns to the target's columns.",
)

MIGRATE_MOVE_FEEDS_IN = Query(
    "migrate_move_feeds_in",
    """
MATCH (:Dataset {key: $source_key})-[:HAS_COLUMN]->(t:Column)<-[f:FEEDS]-(s:Column)
WHERE $jobs IS NULL OR f.job IN $jobs
WITH s, f, t LIMIT $batch_size
MATCH (a:Column {key: """
    + _MAPPED_SOURCE
    + """})
MATCH (b:Column {key: $target_key + '::' + t.name})
MERGE (a)-[g:FEEDS {job: f.job, subtype: f.subtype}]->(b)
"""
    + _FOLD_EDGE,
    "Moves a batch of FEEDS edges into the source dataset's columns to the target's columns.",
)

MIGRATE_MOVE_FEEDS_DATASET_OUT = Query(
    "migrate_move_feeds_dataset_out",
    """
MATCH (:Dataset {key: $source_key})-[:HAS_COLUMN]->(s:Column)-[f:FEEDS_DATASET]->(t:Dataset)
WHERE $jobs IS NULL OR f.job IN $jobs
WITH s, f, t LIMIT $batch_size
MATCH (a:Column {key: $target_key + '::' + s.name})
MATCH (b:Dataset {key: CASE WHEN t.key = $source_key THEN $target_key ELSE t.key END})
MERGE (a)-[g:FEEDS_DATASET {job: f.job, subtype: f.subtype}]->(b)
"""
    + _FOLD_EDGE,
    "Moves a batch of FEEDS_DATASET edges leaving the source dataset's columns.",
)

MIGRATE_MOVE_FEEDS_DATASET_IN = Query(
    "migrate_move_feeds_dataset_in",
    """
MATCH (s:Column)-[f:FEEDS_DATASET]->(:Dataset {key: $source_key})
WHERE $jobs IS NULL OR f.job IN $jobs
WITH s, f LIMIT $batch_size
MATCH (a:Column {key: """
    + _MAPPED_SOURCE
    + """})
MATCH (b:Dataset {key: $target_key})
MERGE (a)-[g:FEEDS_DATASET {job: f.job, subtype: f.subtype}]->(b)
"""
    + _FOLD_EDGE,
    "Moves a batch of FEEDS_DATASET edges into the source dataset to the target dataset.",
)

# Run -> dataset links: the target keeps what it knows, the moved link fills in the rest.
_RUN_JOBS = "$jobs IS NULL OR EXISTS { (r)-[:OF_JOB]->(j:Job) WHERE j.key IN $jobs }"
_MERGED_VERSION = """
SET y.version = coalesce(y.version, x.version),
    y.version_status = coalesce(y.version_status, x.version_status),
    y.candidates = CASE WHEN size(coalesce(y.candidates, [])) > 0 THEN y.candidates
                        ELSE x.candidates END"""

MIGRATE_MOVE_READ = Query(
    "migrate_move_read",
    """
MATCH (r:Run)-[x:READ]->(:Dataset {key: $source_key})
WHERE """
    + _RUN_JOBS
    + """
WITH r, x LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (r)-[y:READ]->(d)"""
    + _MERGED_VERSION
    + """
DELETE x
RETURN count(*) AS moved
""",
    "Moves a batch of Run-[:READ]->Dataset links to the target dataset.",
)

MIGRATE_MOVE_WROTE = Query(
    "migrate_move_wrote",
    """
MATCH (r:Run)-[x:WROTE]->(:Dataset {key: $source_key})
WHERE """
    + _RUN_JOBS
    + """
WITH r, x LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (r)-[y:WROTE]->(d)"""
    + _MERGED_VERSION
    + """,
    y.mode = coalesce(y.mode, x.mode)
DELETE x
RETURN count(*) AS moved
""",
    "Moves a batch of Run-[:WROTE]->Dataset links to the target dataset.",
)

# Job summaries: first seen the earlier, last seen the later of the two.
_MERGED_SEEN = """
SET y.first_seen = CASE WHEN y.first_seen IS NULL OR x.first_seen < y.first_seen
                        THEN x.first_seen ELSE y.first_seen END,
    y.last_seen = CASE WHEN y.last_seen IS NULL OR x.last_seen > y.last_seen
                       THEN x.last_seen ELSE y.last_seen END
DELETE x"""

MIGRATE_MOVE_READS = Query(
    "migrate_move_reads",
    """
MATCH (j:Job)-[x:READS]->(:Dataset {key: $source_key})
WHERE $jobs IS NULL OR j.key IN $jobs
WITH j, x LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (j)-[y:READS]->(d)"""
    + _MERGED_SEEN
    + """
RETURN count(*) AS moved
""",
    "Moves a batch of Job-[:READS]->Dataset summaries to the target dataset.",
)

MIGRATE_MOVE_WRITES = Query(
    "migrate_move_writes",
    """
MATCH (j:Job)-[x:WRITES]->(:Dataset {key: $source_key})
WHERE $jobs IS NULL OR j.key IN $jobs
WITH j, x LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (j)-[y:WRITES]->(d)"""
    + _MERGED_SEEN
    + """
RETURN count(*) AS moved
""",
    "Moves a batch of Job-[:WRITES]->Dataset summaries to the target dataset.",
)

MIGRATE_MOVE_TRAINED_ON_DATASET = Query(
    "migrate_move_trained_on_dataset",
    """
MATCH (m:Model)-[x:TRAINED_ON_DATASET]->(:Dataset {key: $source_key})
WHERE $jobs IS NULL
   OR EXISTS { (m)-[:PRODUCED_BY]->(:Run)-[:OF_JOB]->(j:Job) WHERE j.key IN $jobs }
WITH m, x LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (m)-[y:TRAINED_ON_DATASET]->(d)
SET y.version_status = coalesce(y.version_status, x.version_status)
DELETE x
RETURN count(*) AS moved
""",
    "Moves a batch of Model-[:TRAINED_ON_DATASET]->Dataset links to the target dataset.",
)

MIGRATE_COPY_TAGS = Query(
    "migrate_copy_tags",
    """
MATCH (:Dataset {key: $source_key})-[:HAS_COLUMN]->(s:Column)-[x:TAGGED]->(tag:Tag)
WHERE x.source <> 'propagated' AND x.assigned_by IS NOT NULL
MATCH (c:Column {key: $target_key + '::' + s.name})
MERGE (c)-[y:TAGGED {source: x.source, assigned_by: x.assigned_by}]->(tag)
  ON CREATE SET y = properties(x)
RETURN count(*) AS moved
""",
    "Asserted tags of the source dataset's columns, onto the target's columns (propagated tags "
    "are derived: propagation recomputes them).",
)

# A moved version keeps every property the writer gave it (Delta's commit, who, the column set:
# whatever the writer stores, without a list here to fall behind it); where the target already
# has a version of that number, what the target knows wins. Its labels are re-keyed to the target
# dataset ('<dataset key>#<label>', version_labels.label_key): a label name the target already
# has elsewhere goes to the more recent labelling, as the writer decides between two.
MIGRATE_MOVE_VERSIONS = Query(
    "migrate_move_versions",
    """
MATCH (v:DatasetVersion)-[:VERSION_OF]->(:Dataset {key: $source_key})
WHERE v.version IS NOT NULL
WITH v LIMIT $batch_size
MATCH (d:Dataset {key: $target_key})
MERGE (n:DatasetVersion {key: $target_key + '@v' + toString(v.version)})
  ON CREATE SET n.version = v.version, n.dataset_key = $target_key
WITH v, n, d, properties(n) AS known
SET n += v {.*, key: n.key}
SET n += known
MERGE (n)-[:VERSION_OF]->(d)
WITH v, n, [(r:Run)-[:READ_VERSION]->(v) | r] AS readers,
     [(r:Run)-[:WROTE_VERSION]->(v) | r] AS writers
FOREACH (r IN readers | MERGE (r)-[:READ_VERSION]->(n))
FOREACH (r IN writers | MERGE (r)-[:WROTE_VERSION]->(n))
WITH v, n
CALL (v, n) {
  MATCH (m:Model)-[t:TRAINED_ON]->(v)
  MERGE (m)-[x:TRAINED_ON]->(n)
  SET x.columns = coalesce(x.columns, t.columns)
}
CALL (v, n) {
  MATCH (l:VersionLabel)-[:LABELS]->(v)
  MERGE (moved:VersionLabel {key: $target_key + '#' + l.name})
  WITH l, n, moved, moved.labelled_at IS NULL OR l.labelled_at >= moved.labelled_at AS newer
  CALL (l, n, moved, newer) {
    WITH l, n, moved WHERE newer
    SET moved.name = l.name, moved.note = l.note, moved.source = l.source,
        moved.labelled_at = l.labelled_at, moved.labelled_by = l.labelled_by,
        moved.target = CASE WHEN l.target IS NULL THEN NULL ELSE $target_key END
    WITH n, moved
    OPTIONAL MATCH (moved)-[old:LABELS]->(other)
    WHERE other <> n
    DELETE old
    WITH DISTINCT n, moved
    MERGE (moved)-[:LABELS]->(n)
  }
  DETACH DELETE l
}
DETACH DELETE v
RETURN count(*) AS moved
""",
    "Moves a batch of the source dataset's versions to the target (merged with a version of the "
    "same number there) with all their properties, the runs and models that point at them, and "
    "their labels re-keyed to the target dataset.",
)

MIGRATE_DELETE_DATASET = Query(
    "migrate_delete_dataset",
    """
MATCH (d:Dataset {key: $source_key})
WHERE NOT EXISTS {
        (d)<-[:READ|WROTE|READS|WRITES|FEEDS_DATASET|TRAINED_ON_DATASET|VERSION_OF]-() }
  AND NOT EXISTS { (d)-[:HAS_COLUMN]->(:Column)-[:FEEDS|FEEDS_DATASET]-() }
CALL (d) {
  MATCH (d)-[:HAS_COLUMN]->(c:Column)
  DETACH DELETE c
}
DETACH DELETE d
RETURN count(*) AS deleted
""",
    "Deletes a moved dataset with its columns, only once nothing but tags refers to it.",
)

MIGRATE_ENSURE_JOB = Query(
    "migrate_ensure_job",
    """
MERGE (j:Job {key: $target_key})
  ON CREATE SET j.namespace = $namespace, j.name = $name
""",
    "The job a renamed job becomes (it may exist already: then the renamed job merges into it).",
)

MIGRATE_REJOB_FEEDS = Query(
    "migrate_rejob_feeds",
    """
UNWIND $datasets AS dataset_key
MATCH (:Dataset {key: dataset_key})-[:HAS_COLUMN]->(t:Column)<-[f:FEEDS {job: $source_key}]-
      (s:Column)
WITH s, f, t LIMIT $batch_size
MERGE (s)-[g:FEEDS {job: $target_key, subtype: f.subtype}]->(t)
"""
    + _FOLD_EDGE,
    "Gives a batch of a job's FEEDS edges (found through the datasets it writes) the new job key.",
)

MIGRATE_REJOB_FEEDS_DATASET = Query(
    "migrate_rejob_feeds_dataset",
    """
UNWIND $datasets AS dataset_key
MATCH (t:Dataset {key: dataset_key})<-[f:FEEDS_DATASET {job: $source_key}]-(s:Column)
WITH s, f, t LIMIT $batch_size
MERGE (s)-[g:FEEDS_DATASET {job: $target_key, subtype: f.subtype}]->(t)
"""
    + _FOLD_EDGE,
    "Gives a batch of a job's FEEDS_DATASET edges the new job key.",
)

MIGRATE_REJOB_STRAY_FEEDS = Query(
    "migrate_rejob_stray_feeds",
    """
MATCH (s:Column)-[f:FEEDS]->(t:Column)
WHERE f.job IN $source_keys
WITH s, f, t LIMIT $batch_size
MERGE (s)-[g:FEEDS {job: $renames[f.job], subtype: f.subtype}]->(t)
"""
    + _FOLD_EDGE,
    "FEEDS edges still carrying a renamed job's key (one scan of all edges; normally none).",
)

MIGRATE_REJOB_STRAY_FEEDS_DATASET = Query(
    "migrate_rejob_stray_feeds_dataset",
    """
MATCH (s:Column)-[f:FEEDS_DATASET]->(t:Dataset)
WHERE f.job IN $source_keys
WITH s, f, t LIMIT $batch_size
MERGE (s)-[g:FEEDS_DATASET {job: $renames[f.job], subtype: f.subtype}]->(t)
"""
    + _FOLD_EDGE,
    "FEEDS_DATASET edges still carrying a renamed job's key (normally none).",
)

MIGRATE_MOVE_RUNS = Query(
    "migrate_move_runs",
    """
MATCH (r:Run)-[o:OF_JOB]->(:Job {key: $source_key})
WITH r, o LIMIT $batch_size
MATCH (j:Job {key: $target_key})
MERGE (r)-[:OF_JOB]->(j)
SET r.job_key = $target_key
DELETE o
RETURN count(*) AS moved
""",
    "Moves a batch of a renamed job's runs to the new job (and their `job_key`).",
)

MIGRATE_FINISH_JOB = Query(
    "migrate_finish_job",
    """
MATCH (old:Job {key: $source_key})
MATCH (new:Job {key: $target_key})
CALL (old, new) {
  MATCH (old)-[x:READS]->(d:Dataset)
  MERGE (new)-[y:READS]->(d)"""
    + _MERGED_SEEN
    + """
}
CALL (old, new) {
  MATCH (old)-[x:WRITES]->(d:Dataset)
  MERGE (new)-[y:WRITES]->(d)"""
    + _MERGED_SEEN
    + """
}
WITH old
WHERE NOT EXISTS { (old)<-[:OF_JOB]-(:Run) }
DETACH DELETE old
RETURN count(*) AS deleted
""",
    "Moves a renamed job's READS/WRITES summaries to the new job and deletes it once it has no "
    "run left.",
)
