"""Dataset names per the OpenLineage naming spec, from the locations the capture layer read.

Catalog tables are named by their location and keep ``table`` = ``db.table``; a table without a
known location falls back to namespace ``spark_catalog`` and name ``db.table``. In-memory data
(``LocalRelation``, RDDs, ``createDataFrame``, ``range``) has namespace ``memory`` and a name
derived from its schema, so that it is stable between runs of the same job. How a location is
split into a name is :mod:`spark_lineage.dataset_names`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from spark_lineage.dataset_names import CATALOG_NAMESPACE, MEMORY, split_location
from spark_lineage.model import DatasetRef


def short_table(identifier: str | None) -> str | None:
    """``spark_catalog.default.t`` -> ``default.t`` (other catalogs keep their prefix)."""
    if not identifier:
        return None
    prefix = CATALOG_NAMESPACE + "."
    return identifier[len(prefix) :] if identifier.startswith(prefix) else identifier


def datasets_from_fact(fact: Mapping[str, Any]) -> list[DatasetRef]:
    """One DatasetRef per location of a captured relation or write target."""
    table = short_table(fact.get("table"))
    fmt = fact.get("format")
    paths: Sequence[str] = [str(p) for p in fact.get("paths") or () if p]
    if not paths:
        if table:
            return [DatasetRef(CATALOG_NAMESPACE, table, format=fmt, table=table)]
        return []
    refs = []
    for path in paths:
        namespace, name = split_location(path)
        refs.append(DatasetRef(namespace, name, format=fmt, table=table))
    return refs


def table_from_json(catalog_table: Any) -> DatasetRef | None:
    """Fallback when capture facts are missing: the ``CatalogTable`` JSON names the table."""
    if not isinstance(catalog_table, dict):
        return None
    ident = catalog_table.get("identifier") or {}
    table = ".".join(str(ident[k]) for k in ("database", "table") if ident.get(k))
    if not table:
        return None
    return DatasetRef(CATALOG_NAMESPACE, table, format=catalog_table.get("provider"), table=table)


def memory_dataset(kind: str, columns: Sequence[tuple[str, str]], detail: str = "") -> DatasetRef:
    """An in-memory source named by its kind and schema: ``memory`` / ``local_relation/1a2b...``."""
    signature = ",".join(f"{name}:{dtype}" for name, dtype in columns) + detail
    digest = hashlib.sha1(signature.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    return DatasetRef(MEMORY, f"{kind}/{digest}")
