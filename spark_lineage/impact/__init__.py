"""Impact analysis: what a column feeds (``impact``), where it comes from (``upstream``), how one
column reaches another (``path``), and the neighbourhood picture (``neighbourhood``).

Reads the graph documented in ``docs/graph.md`` through the named queries of
:mod:`spark_lineage.impact.queries`; results are plain dataclasses
(:mod:`spark_lineage.impact.model`), printed by :mod:`spark_lineage.impact.formats`.
"""

from spark_lineage.impact.api import impact, lineage_report, neighbourhood, path, upstream
from spark_lineage.impact.resolve import resolve_target
from spark_lineage.names import UnknownName

__all__ = [
    "UnknownName",
    "impact",
    "lineage_report",
    "neighbourhood",
    "path",
    "resolve_target",
    "upstream",
]
