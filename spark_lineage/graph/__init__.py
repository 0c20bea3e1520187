"""The Neo4j lineage graph: settings, schema, the named queries, the event writer, retention.

Everything that talks Cypher lives in this package (see ``docs/graph.md`` for the model); sinks,
the CLI and later commands use it and never build Cypher themselves. The package itself imports
nothing: the CLI reads its settings without loading the driver.
"""
