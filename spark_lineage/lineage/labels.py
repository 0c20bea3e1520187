"""Readable labels for lineage results: ``("default.people.name", "out.x", "DIRECT/IDENTITY")``.

Used by the golden fixtures, the tests and anyone printing lineage for a human. A dataset reads as
its catalog table (``default.people``), else the last segment of its path (``out``), else
``memory/<kind>`` for in-memory sources (the schema hash is dropped: it is noise to a reader).
"""

from __future__ import annotations

from spark_lineage.dataset_names import MEMORY
from spark_lineage.model import ColumnRef, DatasetRef, QueryLineage, Transformation, VersionInfo

EdgeRow = tuple[str, str, str]
DepRow = tuple[str, str]
VersionRow = tuple[str, str, str]


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


def version_label(version: VersionInfo) -> str:
    """``"3"``; ``"1..2"`` for a read of a range of versions; the status when there is no number."""
    if version.version is None:
        return version.status
    if version.starting_version is not None:
        return f"{version.starting_version}..{version.version}"
    return str(version.version)


def version_rows(lineage: QueryLineage) -> set[VersionRow]:
    """``("in" | "out", dataset label, version label)`` for every versioned input and output."""
    rows = {
        ("in", dataset_label(i.dataset), version_label(i.version))
        for i in lineage.inputs
        if i.version
    }
    rows.update(
        ("out", dataset_label(o.dataset), version_label(o.version))
        for o in lineage.outputs
        if o.version
    )
    return rows


def schema_rows(lineage: QueryLineage) -> list[str]:
    """The written schema of the (first) output as ``name:type`` labels."""
    return [f"{f.name}:{f.type}" for f in lineage.outputs[0].schema] if lineage.outputs else []
