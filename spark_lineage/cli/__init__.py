"""The command layer of ``spark-lineage``: each command parses its arguments and calls one
function of the package that owns the work (impact, reproduce, compliance, graph, sinks).

Nothing outside this package imports it; the entry point is :func:`main`
(``spark-lineage = "spark_lineage.cli:main"``), and ``python -m spark_lineage.cli`` runs it too.
"""

from spark_lineage.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
