"""A small layered layout: datasets in columns by lineage order, their columns as rows.

A dataset's layer is the length of the longest chain of datasets feeding it (cycles, such as a
table updated from itself, are cut after as many rounds as there are datasets), and a source sits
just left of the first dataset it feeds; inside a layer
datasets are ordered by the mean row of what feeds them, which keeps most edges short and
uncrossed. Good enough for the neighbourhood of one target (tens of datasets), with no
dependency on a layout engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spark_lineage.impact.model import ColumnNode, DatasetInfo, LineageGraph
from spark_lineage.viz.edges import Edge

BOX_WIDTH = 270
LAYER_GAP = 130
HEADER = 48
ROW = 24
BOX_GAP = 28
MARGIN = 24
TOP = 96  # room for the title and legend


@dataclass(frozen=True, slots=True)
class Box:
    """Where one dataset and its column rows go (``row_y`` is each row's centre)."""

    dataset: DatasetInfo
    x: int
    y: int
    height: int
    columns: tuple[ColumnNode, ...]
    row_y: dict[str, int]

    @property
    def width(self) -> int:
        return BOX_WIDTH


@dataclass(frozen=True, slots=True)
class Layout:
    boxes: tuple[Box, ...]
    width: int
    height: int

    def box_of(self, dataset_key: str) -> Box | None:
        return next((b for b in self.boxes if b.dataset.key == dataset_key), None)


def layout(graph: LineageGraph, edges: list[Edge]) -> Layout:
    """Positions for every dataset box and column row of ``graph``."""
    datasets = {d.key: d for d in graph.datasets}
    columns: dict[str, list[ColumnNode]] = defaultdict(list)
    for column in graph.columns:
        key = column.dataset_key
        if key not in datasets:
            datasets[key] = DatasetInfo(key or "?", "", key or "(unknown dataset)")
        columns[key].append(column)
    dataset_of = {c.key: c.dataset_key for c in graph.columns}
    links = {
        (dataset_of[e.source], e.target if e.dataset_wide else dataset_of.get(e.target, ""))
        for e in edges
        if e.source in dataset_of
    }
    links = {(a, b) for a, b in links if a != b and a in datasets and b in datasets}
    layer = _layers(sorted(datasets), links)
    order = _order(layer, links, columns)
    boxes = []
    height = 0
    for index in sorted(set(layer.values())):
        y = TOP
        for key in order[index]:
            rows = tuple(sorted(columns.get(key, []), key=lambda c: c.name))
            box_height = HEADER + ROW * max(1, len(rows)) + 8
            x = MARGIN + index * (BOX_WIDTH + LAYER_GAP)
            row_y = {c.key: y + HEADER + ROW * i + ROW // 2 for i, c in enumerate(rows)}
            boxes.append(Box(datasets[key], x, y, box_height, rows, row_y))
            y += box_height + BOX_GAP
        height = max(height, y)
    width = MARGIN * 2 + (max(layer.values(), default=0) + 1) * (BOX_WIDTH + LAYER_GAP)
    return Layout(tuple(boxes), max(width, 720), height + MARGIN)


def _layers(keys: list[str], links: set[tuple[str, str]]) -> dict[str, int]:
    layer = dict.fromkeys(keys, 0)
    for _ in range(len(keys)):
        changed = False
        for source, target in links:
            if layer[target] < layer[source] + 1 <= len(keys):
                layer[target] = layer[source] + 1
                changed = True
        if not changed:
            break
    # Pull sources right, next to the first dataset they feed, so no edge skips a layer for them.
    for key in keys:
        if not any(t == key for _, t in links):
            fed = [layer[t] for s, t in links if s == key]
            if fed:
                layer[key] = max(0, min(fed) - 1)
    return layer


def _order(
    layer: dict[str, int], links: set[tuple[str, str]], columns: dict[str, list[ColumnNode]]
) -> dict[int, list[str]]:
    order: dict[int, list[str]] = {}
    position: dict[str, float] = {}
    for index in sorted(set(layer.values())):
        members = [k for k in layer if layer[k] == index]

        def weight(key: str) -> tuple[float, str]:
            feeds = [position[s] for s, t in links if t == key and s in position]
            return (sum(feeds) / len(feeds) if feeds else 0.0, key)

        members.sort(key=weight)
        order[index] = members
        for rank, key in enumerate(members):
            position[key] = float(rank)
    return order
