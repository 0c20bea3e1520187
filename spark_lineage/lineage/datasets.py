"""Dataset names per the OpenLineage naming spec, from the locations the capture layer read.

``file:/data/x`` -> (``file``, ``/data/x``); ``hdfs://nn:8020/x`` -> (``hdfs://nn:8020``, ``/x``);
``s3a://bucket/key`` -> (``s3://bucket``, ``key``); ``gs://b/k`` -> (``gs://b``, ``k``);
``abfss://c@acct.dfs.core.windows.net/p`` -> (``abfss://c@acct.dfs.core.windows.net``, ``/p``).
Catalog tables are named by their location and keep ``table`` = ``db.table``; a table without a
known location falls back to namespace ``spark_catalog`` and name ``db.table``. In-memory data
(``LocalRelation``, RDDs, ``createDataFrame``, ``range``) has namespace ``memory`` and a name
derived from its schema, so that it is stable between runs of the same job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from spark_lineage.model import DatasetRef

MEMORY = "memory"
CATALOG_NAMESPACE = "spark_catalog"
_OBJECT_STORES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs"}


def split_location(location: str) -> tuple[str, str]:
    """(namespace, name) of a path or URI, per the OpenLineage naming spec."""
    if "://" not in location and not location.startswith(("file:", "dbfs:")):
        return "file", _clean_path(location)
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "file", _clean_path(parts.path)
    if scheme == "dbfs":
        return "dbfs", _clean_path(parts.path)
    if scheme in _OBJECT_STORES:
        return f"{_OBJECT_STORES[scheme]}://{parts.netloc}", parts.path.lstrip("/")
    return f"{scheme}://{parts.netloc}", _clean_path(parts.path)


def _clean_path(path: str) -> str:
    cleaned = "/" + path.lstrip("/") if path else "/"
    return cleaned.rstrip("/") or "/"


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
