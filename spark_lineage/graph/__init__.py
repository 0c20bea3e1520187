"""The Neo4j lineage graph: settings, schema, the named queries, the event writer, retention.

Everything that talks Cypher lives in this package (see ``docs/graph.md`` for the model); sinks,
the CLI and later commands use it and never build Cypher themselves.
"""

from spark_lineage.graph.settings import Neo4jSettings, resolve_settings
from spark_lineage.graph.writer import GraphWriter, WriteResult

__all__ = ["GraphWriter", "Neo4jSettings", "WriteResult", "resolve_settings"]
