"""What a user's text names in the graph: one resolver for datasets and columns, used by every
command that takes a name (impact, upstream, path, graph, reproduce, tag, tags, export).

:mod:`.parse` reads the text without the graph (pure), :mod:`.queries` holds the Cypher, and
:mod:`.resolve` looks the candidates up and raises :class:`UnknownName`, the one error type, whose
message and suggestions are written in one place.
"""

from spark_lineage.names.parse import location
from spark_lineage.names.resolve import (
    ResolvedName,
    UnknownName,
    resolve_column_keys,
    resolve_dataset,
    resolve_name,
)

__all__ = [
    "ResolvedName",
    "UnknownName",
    "location",
    "resolve_column_keys",
    "resolve_dataset",
    "resolve_name",
]
