"""Readable labels for lineage results: ``("default.people.name", "out.x", "DIRECT/IDENTITY")``.

Used by the golden fixtures, the tests and anyone printing lineage for a human. A dataset reads as
its catalog table (``default.people``), else the last segment of its path (``out``), else
``memory/<kind>`` for in-memory sources (the schema hash is dropped: it is noise to a reader).
"""

from __future__ import annotations

from spark_lineage.lineage.datasets import MEMORY
from spark_lineage.model import ColumnRef, DatasetRef, QueryLineage, Transformation

EdgeRow = tuple[str, str, str]
DepRow = tuple[str, str]


def dataset_label(dataset: DatasetRef) -> str:
    if dataset.table:
        return dataset.table
    if dataset.namespace == MEMORY:
        return f"memory/{dataset.name.split('/', 1)[0]}"
    return dataset.name.rstrip("/").rsplit("/", 1)[-1]


def column_label(column: ColumnRef) -> str:
    return f"{dataset_label(column.dataset)}.{column.name}"


def transformation_label(transformation: Transformation) -> str:
    text = f"{transformation.type.value}/{transformation.subtype.value}"
    return text + "+masked" if transformation.masking else text


def edge_rows(lineage: QueryLineage) -> set[EdgeRow]:
    """Every column edge of every output, as label triples."""
    return {
        (column_label(e.source), column_label(e.target), transformation_label(e.transformation))
        for output in lineage.outputs
        for e in output.edges
    }


def dependency_rows(lineage: QueryLineage) -> set[DepRow]:
    """Every dataset-wide INDIRECT dependency of every output, as label pairs."""
    return {
        (column_label(column), transformation_label(transformation))
        for output in lineage.outputs
        for column, transformation in output.dataset_dependencies
    }


def input_labels(lineage: QueryLineage) -> set[str]:
    return {dataset_label(i.dataset) for i in lineage.inputs}
