"""How a location becomes a dataset name, per the OpenLineage naming spec, and the namespaces of
datasets that have no location (in-memory data, catalog tables without one).

``file:/data/x`` -> (``file``, ``/data/x``); ``hdfs://nn:8020/x`` -> (``hdfs://nn:8020``, ``/x``);
``s3a://bucket/key`` -> (``s3://bucket``, ``key``); ``gs://b/k`` -> (``gs://b``, ``k``);
``abfss://c@acct.dfs.core.windows.net/p`` -> (``abfss://c@acct.dfs.core.windows.net``, ``/p``).

A leaf module: the lineage engine names what a plan reads and writes with it, and the name
resolver of the commands names what a user types, without loading the engine.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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
