"""Find the dataset a user means: the one lookup behind ``impact``, ``reproduce``, ``tag``...

What people type is a graph key (``file::/lake/customers``), a path or URI (``/lake/customers``,
``file:/lake/customers``, ``s3a://bucket/t``) or a catalog table name (``shop.customers``, any
case). Column names and table names both contain dots, so text that may end with a column is
split at *every* dot (and every ``::`` of a graph key): each prefix is a candidate, all looked up
in one query (:data:`~spark_lineage.graph.impact_queries.RESOLVE_DATASETS`); the longest prefix
that names a dataset wins.
"""

from __future__ import annotations

from typing import Any

import neo4j

from spark_lineage.graph.impact_queries import RESOLVE_DATASETS
from spark_lineage.lineage.datasets import split_location


class DatasetLookupError(ValueError):
    """The text names no dataset of the graph, or several."""


def candidates(text: str, explicit_column: bool = False) -> list[dict[str, Any]]:
    """Every way to read ``text`` as ``<dataset><sep><column>``, as query parameters.

    ``end`` is where the dataset part ends (the longest known one wins); the separator is a dot,
    or ``::`` as in a column key. With ``explicit_column`` only the whole text is a candidate.
    """
    ends = {len(text)}
    if not explicit_column:
        ends |= {i for i, char in enumerate(text) if char == "."}
        start = text.find("::")
        while start != -1:
            ends.add(start)
            start = text.find("::", start + 1)
    rows = []
    for end in sorted(ends, reverse=True):
        prefix = text[:end]
        if prefix:
            rows.append({"text": prefix, "location_key": location_key(prefix), "end": end})
    return rows


def location_key(prefix: str) -> str | None:
    """The dataset key a path or URI would have (``file:/x`` and ``/x`` -> ``file::/x``)."""
    if "::" in prefix or not (prefix.startswith("/") or ":/" in prefix):
        return None  # a graph key (matched as is) or a table name
    try:
        namespace, name = split_location(prefix)
    except ValueError:
        return None
    return f"{namespace}::{name}"


def resolve_dataset_key(session: neo4j.Session, text: str) -> str:
    """The key of the one dataset ``text`` names as a whole (key, path, URI or table name)."""
    if not text:
        raise DatasetLookupError("give a dataset: a graph key, a path or a table name")
    rows = session.run(RESOLVE_DATASETS.text, candidates=candidates(text, True))
    found = sorted({str(r["key"]) for r in rows})
    if not found:
        raise DatasetLookupError(f"no dataset in the graph matches {text!r}")
    if len(found) > 1:
        keys = ", ".join(found)
        raise DatasetLookupError(f"{text!r} names several datasets, give one key: {keys}")
    return found[0]


__all__ = ["DatasetLookupError", "candidates", "location_key", "resolve_dataset_key"]
