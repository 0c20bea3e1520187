"""The impact commands' view of a resolved name: :func:`spark_lineage.names.resolve_name` (the one
resolver, with its one error type :class:`~spark_lineage.names.UnknownName`) plus the details of
the dataset (format, newest versions) that reports and pictures show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_lineage.impact.model import DatasetInfo, Target, VersionSummary
from spark_lineage.impact.queries import DATASET_DETAILS
from spark_lineage.names import resolve_name

if TYPE_CHECKING:
    import neo4j

#: How many versions of a dataset the details carry (newest first).
MAX_VERSIONS = 5
#: ``neo4j.READ_ACCESS``, named here so that importing the impact API does not load the driver
#: (the CLI parses its arguments before it needs one).
READ_ACCESS = "READ"


def resolve_target(
    driver: neo4j.Driver,
    text: str,
    column: str | None = None,
    database: str | None = None,
) -> Target:
    """The dataset and column (or every column) that ``text`` names; raises UnknownName."""
    with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        name = resolve_name(session, text, column)
        dataset = dataset_details(session, [name.dataset_key])[0]
    return Target(dataset, name.column, name.column_keys)


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
