"""Turn what a user types (``db.table.col``, ``/lake/raw/customers.email``, a key) into a target.

Column names may contain dots (nested fields such as ``address.city``) and table names contain
dots too, so the text is split at *every* dot (and at every ``::`` of a graph key): each prefix is
a candidate dataset name (:func:`spark_lineage.graph.lookup.candidates`), looked up in one query
by key, location, table name and name. The longest prefix that names a dataset wins and the rest
is the column; the whole text naming a dataset means the whole dataset. ``--column`` skips the
guessing: the text is then the dataset.
"""

from __future__ import annotations

import neo4j

from spark_lineage.graph.impact_queries import DATASET_COLUMNS, DATASET_DETAILS, RESOLVE_DATASETS
from spark_lineage.graph.lookup import candidates
from spark_lineage.impact.model import DatasetInfo, Target, VersionSummary

#: How many versions of a dataset the details carry (newest first).
MAX_VERSIONS = 5


class TargetError(ValueError):
    """The text does not name a dataset or column of the graph (or names several)."""


def column_part(text: str, end: int) -> str | None:
    """What follows the dataset part: None when the text is the dataset itself."""
    rest = text[end:]
    if not rest:
        return None
    return rest[2:] if rest.startswith("::") else rest[1:]


def resolve_target(
    driver: neo4j.Driver,
    text: str,
    column: str | None = None,
    database: str | None = None,
) -> Target:
    """The dataset (longest known prefix) and column that ``text`` names; raises TargetError."""
    if not text:
        raise TargetError("give a dataset or <dataset>.<column>")
    with driver.session(database=database) as session:
        found = [
            dict(r)
            for r in session.run(
                RESOLVE_DATASETS.text, candidates=candidates(text, column is not None)
            )
        ]
        if not found:
            raise TargetError(f"no dataset in the graph matches {text!r}")
        end = max(int(r["end"]) for r in found)
        keys = sorted({str(r["key"]) for r in found if int(r["end"]) == end})
        if len(keys) > 1:
            raise TargetError(
                f"{text[:end]!r} names several datasets, give one key: {', '.join(keys)}"
            )
        dataset = dataset_details(session, keys)[0]
        name = column if column is not None else column_part(text, end)
        columns = {
            str(name): str(key)
            for r in session.run(DATASET_COLUMNS.text, dataset_keys=[dataset.key])
            for key, name in r["columns"]
        }
    if name is None:
        if not columns:
            raise TargetError(f"dataset {dataset.key} has no columns in the graph")
        return Target(dataset, None, tuple(columns[n] for n in sorted(columns)))
    if name not in columns:
        known = ", ".join(sorted(columns)) or "none"
        raise TargetError(f"dataset {dataset.key} has no column {name!r} (columns: {known})")
    return Target(dataset, name, (columns[name],))


def dataset_details(session: neo4j.Session, keys: list[str]) -> list[DatasetInfo]:
    """Datasets by key with their newest versions, in the order of ``keys`` (unknown skipped)."""
    by_key = {
        str(r["key"]): DatasetInfo(
            key=str(r["key"]),
            namespace=str(r["namespace"] or ""),
            name=str(r["name"] or r["key"]),
            table=r["table_name"],
            format=r["format"],
            versions=tuple(
                VersionSummary(int(v["version"]), v.get("operation"), v.get("timestamp"))
                for v in r["versions"]
                if v.get("version") is not None
            ),
        )
        for r in session.run(DATASET_DETAILS.text, dataset_keys=keys, max_versions=MAX_VERSIONS)
    }
    return [by_key[k] for k in keys if k in by_key]
