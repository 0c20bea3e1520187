"""Pictures of the lineage around a dataset or column: standalone HTML (inline SVG), mermaid, dot.

Renderers take a :class:`~spark_lineage.impact.model.LineageGraph` (plain data) and return text;
nothing here talks to Neo4j. The HTML page has no external resource at all (no CDN, no font, no
script from the network): it opens offline and in locked-down browsers.
"""

from __future__ import annotations

from spark_lineage.impact.model import LineageGraph
from spark_lineage.viz.html import render_html
from spark_lineage.viz.text import render_dot, render_mermaid

FORMATS = ("html", "mermaid", "dot")


def render(graph: LineageGraph, fmt: str) -> str:
    """The graph as ``html``, ``mermaid`` or ``dot`` text."""
    if fmt == "html":
        return render_html(graph)
    if fmt == "mermaid":
        return render_mermaid(graph)
    if fmt == "dot":
        return render_dot(graph)
    raise ValueError(f"unknown graph format {fmt!r}: use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "render", "render_dot", "render_html", "render_mermaid"]
