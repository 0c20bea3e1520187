"""The Cypher of name resolution: exact lookups by index, and the capped list of names that
lenient matching and suggestions work on. Parameterised :class:`~spark_lineage.graph.queries.Query`
objects; no text is built from user input."""

from __future__ import annotations

from spark_lineage.graph.queries import Query

RESOLVE_DATASETS = Query(
    "names_resolve_datasets",
    """
UNWIND $candidates AS cand
CALL (cand) {
  MATCH (d:Dataset {key: cand.text}) RETURN d
  UNION
  MATCH (d:Dataset {key: cand.location_key}) RETURN d
  UNION
  MATCH (d:Dataset {table: cand.text}) RETURN d
  UNION
  MATCH (d:Dataset {name: cand.text}) RETURN d
}
RETURN cand.end AS end, d.key AS key, d.namespace AS namespace, d.name AS name,
       d.table AS table_name
ORDER BY end DESC, key
""",
    "Datasets named exactly by any prefix of the user's text: by key, location, table name or "
    "name. Each candidate is {text, location_key, end}; every lookup uses a constraint or index.",
)

DATASET_NAMES = Query(
    "names_dataset_names",
    """
MATCH (d:Dataset)
WITH d LIMIT $limit
RETURN d.key AS key, d.namespace AS namespace, d.name AS name, d.table AS table_name
""",
    "Up to $limit datasets with what people call them: lenient matching (any case, a bare table "
    "name, the end of an in-memory name) and 'did you mean' suggestions when no exact lookup "
    "found anything.",
)

DATASET_COLUMNS = Query(
    "names_dataset_columns",
    """
UNWIND $dataset_keys AS dataset_key
MATCH (:Dataset {key: dataset_key})-[:HAS_COLUMN]->(c:Column)
WITH dataset_key, c ORDER BY c.name
RETURN dataset_key, collect([c.key, c.name]) AS columns
""",
    "The columns ([key, name], by name) of some datasets: a whole-dataset target, a column to "
    "find, or the targets of FEEDS_DATASET edges. One row per dataset, columns as a list.",
)

# --- versions: <dataset>@<version or label>, model:<name>@<version or label> ----------------------

LABELLED_VERSION = Query(
    "names_labelled_version",
    """
MATCH (l:VersionLabel {key: $label_key})-[:LABELS]->(v)
RETURN v.key AS key, v.version AS version
""",
    "The dataset version or model a label names (label keys are '<target>#<label>').",
)

DATASET_VERSION = Query(
    "names_dataset_version",
    """
MATCH (:Dataset {key: $dataset_key})<-[:VERSION_OF]-(v:DatasetVersion)
WHERE $version IS NULL OR v.version = $version
RETURN v.key AS key, v.version AS version
ORDER BY v.version DESC LIMIT 1
""",
    "A version of a dataset by number, or its newest version when $version is null.",
)

MODEL_VERSION = Query(
    "names_model_version",
    """
MATCH (m:Model {name: $name})
WHERE $version IS NULL OR m.version = $version
RETURN m.key AS key, m.version AS version
ORDER BY m.recorded_at DESC LIMIT 1
""",
    "A version of a model by its version text, or its newest recording when $version is null.",
)

KNOWN_VERSIONS = Query(
    "names_known_versions",
    """
CALL () {
  MATCH (:Dataset {key: $target})<-[:VERSION_OF]-(v:DatasetVersion) RETURN v.version AS version
  UNION
  MATCH (m:Model {name: $model_name}) RETURN m.version AS version
}
WITH collect(DISTINCT version) AS versions
OPTIONAL MATCH (l:VersionLabel)-[:LABELS]->()
WHERE l.key STARTS WITH $target + '#'
RETURN versions, collect(DISTINCT l.name) AS labels
""",
    "The versions and labels a dataset (key $target) or a model ($model_name, $target "
    "'model:<name>') has, for an error that lists them.",
)

MODEL_NAMES = Query(
    "names_model_names",
    """
MATCH (m:Model)
WITH DISTINCT m.name AS name LIMIT $limit
RETURN name
""",
    "Up to $limit model names, for 'did you mean' when a model name matches nothing.",
)
