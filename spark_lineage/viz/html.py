"""A standalone HTML page: inline SVG drawn from :mod:`spark_lineage.viz.layout`, inline CSS, and
a few lines of inline JavaScript (hovering a column highlights its edges). No external resource.
"""

from __future__ import annotations

from html import escape

from spark_lineage.impact.model import LineageGraph
from spark_lineage.viz.edges import (
    SUBTYPE_COLOURS,
    Edge,
    colour,
    dataset_caption,
    drawn_edges,
    job_label,
)
from spark_lineage.viz.layout import BOX_WIDTH, HEADER, Layout, layout

_CSS = """
body { margin: 0; font: 13px system-ui, -apple-system, 'Segoe UI', sans-serif; background: #fafafa;
       color: #212121; }
svg text { font: inherit; }
.dataset rect.frame { fill: #fff; stroke: #90a4ae; stroke-width: 1.2; rx: 6; }
.dataset rect.head { fill: #eceff1; }
.dataset .label { font-weight: 600; font-size: 13px; }
.dataset .caption { fill: #607d8b; font-size: 11px; }
.column rect { fill: transparent; }
.column.target rect { fill: #fff3c4; }
.column:hover rect, .column.lit rect { fill: #e3f2fd; }
.column .depth { fill: #9e9e9e; font-size: 10px; }
.edge path { fill: none; stroke-width: 1.6; opacity: .75; }
.edge.indirect path { stroke-dasharray: 6 4; }
.edge.lit path { stroke-width: 3.2; opacity: 1; }
.legend text { font-size: 11px; }
h1 { font-size: 16px; margin: 0; }
"""

_JS = """
document.querySelectorAll('.column').forEach(function (node) {
  var key = node.getAttribute('data-key');
  function light(on) {
    node.classList.toggle('lit', on);
    document.querySelectorAll('.edge').forEach(function (edge) {
      if (edge.getAttribute('data-source') === key || edge.getAttribute('data-target') === key) {
        edge.classList.toggle('lit', on);
      }
    });
  }
  node.addEventListener('mouseenter', function () { light(true); });
  node.addEventListener('mouseleave', function () { light(false); });
});
"""


def render_html(graph: LineageGraph) -> str:
    """The whole page as one string (UTF-8, no external references)."""
    edges = drawn_edges(graph)
    placed = layout(graph, edges)
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed.width}" '
        f'height="{placed.height}" viewBox="0 0 {placed.width} {placed.height}" '
        'id="lineage">',
        f'<text x="24" y="30" style="font-size:17px;font-weight:600">{escape(graph.title)}</text>',
        *_legend(),
        *_edges(edges, placed),
        *_boxes(graph, placed),
        "</svg>",
    ]
    note = (
        f"<p>Depth &le; {graph.max_depth} each way; {len(graph.datasets)} dataset(s), "
        f"{len(graph.columns)} column(s), {len(edges)} edge(s)"
        + ("; <b>truncated</b>" if graph.truncated else "")
        + ". Dashed edges are INDIRECT; an edge ending at a dataset's header is a dataset-wide "
        "dependency (it steers every row).</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(graph.title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(svg)
        + f'<div style="padding:0 24px 16px">{note}</div>'
        + f"<script>{_JS}</script></body></html>\n"
    )


def _legend() -> list[str]:
    parts = ['<g class="legend">']
    x = 24
    for subtype, stroke in SUBTYPE_COLOURS.items():
        dash = (
            ""
            if subtype in ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
            else (' stroke-dasharray="6 4"')
        )
        parts.append(
            f'<line x1="{x}" y1="58" x2="{x + 26}" y2="58" stroke="{stroke}" '
            f'stroke-width="2.5"{dash}/><text x="{x + 31}" y="62">{subtype}</text>'
        )
        x += 48 + 7 * len(subtype)
    parts.append("</g>")
    return parts


def _edges(edges: list[Edge], placed: Layout) -> list[str]:
    rows: dict[str, tuple[int, int, int]] = {}
    for box in placed.boxes:
        for key, y in box.row_y.items():
            rows[key] = (box.x, box.x + box.width, y)
    parts = []
    for edge in edges:
        if edge.source not in rows:
            continue
        _, x1, y1 = rows[edge.source]
        if edge.dataset_wide:
            into = placed.box_of(edge.target)
            if into is None:
                continue
            x2, y2 = into.x, into.y + HEADER // 2
        elif edge.target in rows:
            x2, _, y2 = rows[edge.target]
        else:
            continue
        bend = max(60, abs(x2 - x1) // 2)
        if x2 <= x1:  # a backward edge (cycle, or same layer): loop out to the right
            d = f"M{x1},{y1} C{x1 + 90},{y1} {x2 + BOX_WIDTH + 90},{y2} {x2 + BOX_WIDTH},{y2}"
        else:
            d = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
        kind = "indirect" if edge.indirect else "direct"
        title = (
            f"{edge.source} → {edge.target}\njob {job_label(edge.job)}\n"
            f"{edge.subtype} ({'dataset-wide ' if edge.dataset_wide else ''}{edge.type})"
            + ("\nmasked" if edge.masking else "")
        )
        parts.append(
            f'<g class="edge {kind}" data-source="{escape(edge.source)}" '
            f'data-target="{escape(edge.target)}" data-subtype="{escape(edge.subtype)}">'
            f'<path d="{d}" stroke="{colour(edge.subtype)}"/><title>{escape(title)}</title></g>'
        )
    return parts


def _boxes(graph: LineageGraph, placed: Layout) -> list[str]:
    targets = set(graph.target_keys)
    parts = []
    for box in placed.boxes:
        dataset = box.dataset
        parts.append(
            f'<g class="dataset" data-key="{escape(dataset.key)}">'
            f'<rect class="frame" x="{box.x}" y="{box.y}" width="{box.width}" '
            f'height="{box.height}"/>'
            f'<rect class="head" x="{box.x + 1}" y="{box.y + 1}" width="{box.width - 2}" '
            f'height="{HEADER - 6}"/>'
            f'<text class="label" x="{box.x + 10}" y="{box.y + 19}">'
            f"{escape(_fit(dataset.label, 36))}</text>"
            f'<text class="caption" x="{box.x + 10}" y="{box.y + 35}">'
            f"{escape(_fit(dataset_caption(dataset), 44))}</text>"
            f"<title>{escape(dataset.key)}</title>"
        )
        if not box.columns:
            parts.append(
                f'<text class="caption" x="{box.x + 14}" y="{box.y + HEADER + 14}">'
                "(every column)</text>"
            )
        for column in box.columns:
            y = box.row_y[column.key]
            role = "target" if column.key in targets else column.role
            depth = (
                "" if role == "target" else ("↑" if role == "upstream" else "↓") + str(column.depth)
            )
            parts.append(
                f'<g class="column {role}" data-key="{escape(column.key)}">'
                f'<rect x="{box.x + 2}" y="{y - 11}" width="{box.width - 4}" height="22"/>'
                f'<text x="{box.x + 14}" y="{y + 4}">{escape(_fit(column.name, 34))}</text>'
                f'<text class="depth" x="{box.x + box.width - 30}" y="{y + 4}">{depth}</text>'
                f"<title>{escape(column.key)}</title></g>"
            )
        parts.append("</g>")
    return parts


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
