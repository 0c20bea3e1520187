"""Mermaid and Graphviz dot text of a lineage neighbourhood, for docs, wikis and reviews.

Datasets become subgraphs (clusters) holding their columns; edges carry the subtype as label and
colour, INDIRECT edges are dotted/dashed, and a dataset-wide dependency points at the dataset.
Identifiers are generated (``d0``, ``c0``...) so no user text ever becomes syntax; labels are
escaped for each language.
"""

from __future__ import annotations

from collections import defaultdict

from spark_lineage.impact.model import ColumnNode, DatasetInfo, LineageGraph
from spark_lineage.viz.edges import colour, dataset_caption, drawn_edges, job_label


def _groups(graph: LineageGraph) -> tuple[list[DatasetInfo], dict[str, list[ColumnNode]]]:
    datasets = {d.key: d for d in graph.datasets}
    columns: dict[str, list[ColumnNode]] = defaultdict(list)
    for column in graph.columns:
        if column.dataset_key not in datasets:
            datasets[column.dataset_key] = DatasetInfo(column.dataset_key, "", column.dataset_key)
        columns[column.dataset_key].append(column)
    return sorted(datasets.values(), key=lambda d: d.label), columns


#: Mermaid entity codes for what a quoted label cannot hold as itself: ``#`` starts an entity code
#: and ``&`` an HTML one, so both are coded too (``a&lt;b`` stays those five characters).
_MERMAID_CODES = str.maketrans(
    {"#": "#35;", "&": "#38;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "\n": " "}
)


def _mermaid_text(text: str) -> str:
    return text.translate(_MERMAID_CODES)


def render_mermaid(graph: LineageGraph) -> str:
    """A ``flowchart LR`` with one subgraph per dataset."""
    datasets, columns = _groups(graph)
    dataset_ids = {d.key: f"d{i}" for i, d in enumerate(datasets)}
    column_ids: dict[str, str] = {}
    targets = set(graph.target_keys)
    lines = ["flowchart LR"]
    for dataset in datasets:
        caption = _mermaid_text(f"{dataset.label} ({dataset_caption(dataset)})")
        lines.append(f'  subgraph {dataset_ids[dataset.key]}["{caption}"]')
        for column in sorted(columns.get(dataset.key, []), key=lambda c: c.name):
            column_ids[column.key] = f"c{len(column_ids)}"
            shape = '(["{}"])' if column.key in targets else '["{}"]'
            lines.append(f"    {column_ids[column.key]}{shape.format(_mermaid_text(column.name))}")
        lines.append("  end")
    styles: list[str] = []
    for edge in drawn_edges(graph):
        source = column_ids.get(edge.source)
        target = dataset_ids.get(edge.target) if edge.dataset_wide else column_ids.get(edge.target)
        if source is None or target is None:
            continue
        arrow = "-.->" if edge.indirect else "-->"
        label = _mermaid_text(f"{edge.subtype} · {job_label(edge.job)}")
        lines.append(f'  {source} {arrow}|"{label}"| {target}')
        styles.append(f"  linkStyle {len(styles)} stroke:{colour(edge.subtype)},stroke-width:2px")
    return "\n".join(lines + styles) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_dot(graph: LineageGraph) -> str:
    """A ``digraph`` with one cluster per dataset (``dot -Tsvg`` renders it)."""
    datasets, columns = _groups(graph)
    targets = set(graph.target_keys)
    column_ids: dict[str, str] = {}
    anchors: dict[str, str] = {}
    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=9];',
        f'  label="{_dot_text(graph.title)}"; labelloc=t;',
    ]
    for index, dataset in enumerate(datasets):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(
            f'    label="{_dot_text(dataset.label)}\\n{_dot_text(dataset_caption(dataset))}";'
        )
        lines.append('    style="rounded,filled"; fillcolor="#eceff1";')
        anchors[dataset.key] = f"d{index}"
        lines.append(f'    d{index} [label="(all rows)", shape=note, fontsize=9];')
        for column in sorted(columns.get(dataset.key, []), key=lambda c: c.name):
            column_ids[column.key] = f"c{len(column_ids)}"
            fill = ', fillcolor="#fff3c4"' if column.key in targets else ""
            lines.append(f'    {column_ids[column.key]} [label="{_dot_text(column.name)}"{fill}];')
        lines.append("  }")
    for edge in drawn_edges(graph):
        source = column_ids.get(edge.source)
        target = anchors.get(edge.target) if edge.dataset_wide else column_ids.get(edge.target)
        if source is None or target is None:
            continue
        style = "dashed" if edge.indirect else "solid"
        lines.append(
            f'  {source} -> {target} [color="{colour(edge.subtype)}", style={style}, '
            f'label="{_dot_text(edge.subtype)}\\n{_dot_text(job_label(edge.job))}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
