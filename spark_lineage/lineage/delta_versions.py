"""Attach the Delta versions captured for a query to its inputs and outputs (pure).

The capture layer reports the Delta tables a query read (``facts["delta_reads"]``: root path and
the snapshot version actually scanned, time travel included) and the commit its write created
(``facts["delta_write"]``). Lineage names datasets by the same locations, so a version belongs to
the input or output whose dataset key is the key of that path. A table read at two versions in
one query (a self-join across time travel) becomes two inputs, one per version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from spark_lineage.dataset_names import split_location
from spark_lineage.model import InputDataset, OutputDataset, QueryLineage, VersionInfo


def attach_versions(lineage: QueryLineage, facts: Mapping[str, Any]) -> QueryLineage:
    """``lineage`` with ``InputDataset.version`` / ``OutputDataset.version`` filled from facts."""
    reads = _versions_by_key(facts.get("delta_reads") or ())
    write = facts.get("delta_write") or None
    if not reads and not write:
        return lineage
    return replace(
        lineage,
        inputs=tuple(_with_read_versions(lineage.inputs, reads)),
        outputs=tuple(_with_write_version(output, write) for output in lineage.outputs),
    )


def _dataset_key(path: str) -> str:
    namespace, name = split_location(path)
    return f"{namespace}::{name}"


def _versions_by_key(reads: Any) -> dict[str, list[VersionInfo]]:
    found: dict[str, list[VersionInfo]] = {}
    for read in reads:
        version = VersionInfo.from_dict(read["version"])
        versions = found.setdefault(_dataset_key(str(read["path"])), [])
        if version not in versions:
            versions.append(version)
    return found


def _with_read_versions(
    inputs: tuple[InputDataset, ...], reads: Mapping[str, list[VersionInfo]]
) -> list[InputDataset]:
    result: list[InputDataset] = []
    for item in inputs:
        versions = reads.get(item.dataset.key)
        if not versions:
            result.append(item)
            continue
        result.extend(replace(item, version=version) for version in versions)
    return result


def _with_write_version(output: OutputDataset, write: Mapping[str, Any] | None) -> OutputDataset:
    if not write or _dataset_key(str(write["path"])) != output.dataset.key:
        return output
    return replace(output, version=VersionInfo.from_dict(write["version"]))
