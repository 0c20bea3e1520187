"""Delta versions captured for a query land on the matching inputs and outputs."""

from __future__ import annotations

from spark_lineage.lineage.delta_versions import attach_versions
from spark_lineage.model import DatasetRef, InputDataset, OutputDataset, QueryLineage, VersionInfo

RAW = DatasetRef("file", "/lake/raw", "delta")
CSV = DatasetRef("file", "/lake/codes.csv", "csv")
OUT = DatasetRef("file", "/lake/out", "delta")


def read(path: str, version: int) -> dict[str, object]:
    return {"path": path, "table": None, "version": VersionInfo(version).to_dict()}


def test_a_read_version_lands_on_the_input_with_the_same_location() -> None:
    lineage = QueryLineage(inputs=(InputDataset(RAW), InputDataset(CSV)))

    attached = attach_versions(lineage, {"delta_reads": [read("file:/lake/raw/", 3)]})

    versions = [(i.dataset.name, i.version.version if i.version else None) for i in attached.inputs]
    assert versions == [("/lake/raw", 3), ("/lake/codes.csv", None)]


def test_a_table_read_at_two_versions_becomes_two_inputs() -> None:
    lineage = QueryLineage(inputs=(InputDataset(RAW),))
    facts = {"delta_reads": [read("file:/lake/raw", 3), read("file:/lake/raw", 1)]}

    attached = attach_versions(lineage, facts)

    assert [i.version.version for i in attached.inputs if i.version] == [3, 1]


def test_the_commit_a_write_created_lands_on_the_written_output_only() -> None:
    lineage = QueryLineage(inputs=(InputDataset(RAW),), outputs=(OutputDataset(OUT),))
    created = VersionInfo(7, operation="MERGE", status="exact")
    facts = {"delta_write": {"path": "file:/lake/out", "version": created.to_dict()}}

    attached = attach_versions(lineage, facts)

    assert attached.outputs[0].version == created
    assert attached.inputs[0].version is None


def test_without_delta_facts_the_lineage_is_unchanged() -> None:
    lineage = QueryLineage(inputs=(InputDataset(CSV),))

    assert attach_versions(lineage, {"relations": []}) is lineage
