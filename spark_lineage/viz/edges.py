"""What every renderer draws: column-to-column edges and column-to-dataset (dataset-wide) edges,
with one colour per transformation subtype and a dashed stroke for INDIRECT ones."""

from __future__ import annotations

from dataclasses import dataclass

from spark_lineage.impact.model import DatasetInfo, Hop, LineageGraph

#: One colour per OpenLineage subtype (colour-blind-safe-ish, distinct in print).
SUBTYPE_COLOURS = {
    "IDENTITY": "#2e7d32",
    "TRANSFORMATION": "#1565c0",
    "AGGREGATION": "#6a1b9a",
    "JOIN": "#ef6c00",
    "FILTER": "#c62828",
    "GROUP_BY": "#795548",
    "SORT": "#546e7a",
    "WINDOW": "#00838f",
    "CONDITIONAL": "#b8860b",
}
OTHER_COLOUR = "#757575"


def colour(subtype: str) -> str:
    return SUBTYPE_COLOURS.get(subtype, OTHER_COLOUR)


@dataclass(frozen=True, slots=True)
class Edge:
    """A drawn edge; ``dataset_wide`` edges end at the dataset (``target`` is its key)."""

    source: str
    target: str
    job: str
    type: str
    subtype: str
    masking: bool
    dataset_wide: bool

    @property
    def indirect(self) -> bool:
        return self.type != "DIRECT" or self.dataset_wide


def drawn_edges(graph: LineageGraph) -> list[Edge]:
    """The hops of the graph, with each dataset-wide dependency collapsed to one edge."""
    shown = {c.key for c in graph.columns}
    edges: set[Edge] = set()
    for hop in graph.hops:
        edge = _edge(hop)
        if edge.source in shown and (edge.dataset_wide or edge.target in shown):
            edges.add(edge)
    return sorted(edges, key=lambda e: (e.source, e.target, e.job, e.subtype))


def _edge(hop: Hop) -> Edge:
    if hop.via_dataset is not None:
        return Edge(hop.source, hop.via_dataset, hop.job, hop.type, hop.subtype, hop.masking, True)
    return Edge(hop.source, hop.target, hop.job, hop.type, hop.subtype, hop.masking, False)


def dataset_caption(dataset: DatasetInfo) -> str:
    """``format · v3 MERGE, v2 WRITE`` (what is known of the dataset's kind and versions)."""
    parts = [dataset.format or dataset.namespace]
    if dataset.versions:
        parts.append(
            ", ".join(
                f"v{v.version}" + (f" {v.operation}" if v.operation else "")
                for v in dataset.versions[:3]
            )
        )
    return " · ".join(parts)


def job_label(job: str) -> str:
    """A job key without its namespace (``spark::nightly.report`` -> ``nightly.report``)."""
    return job.split("::", 1)[-1]
