"""Stable fingerprints of how a write computed each column (pure).

A column's fingerprint is a short hash over a canonical form of its lineage in one write: its
source columns with their transformation subtypes and masking, and the digests of the
expressions that computed it. Everything is sorted, so the order in which the engine discovered
them does not matter, and no exprId takes part, so the same query run again (new exprIds) gives
the same fingerprint while a changed expression, a new source or a new way of using a source
gives another. ``spark-lineage diff`` compares them between two versions of a table.

An expression's digest (:func:`expression_digest`) covers its whole tree: every node's class and
scalar fields except identities (``exprId``, ``resultId``, qualifiers, metadata), and, in place
of an attribute that an earlier expression of the plan defined, that expression's digest. A
column computed in several steps (``b = a * 2`` then ``c = b + 1``) therefore changes its
fingerprint when any step changes. See docs/delta-versions.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from spark_lineage.lineage.tree import Expr, is_flat_tree

#: Hex digits kept of a sha256: 64 bits, ample to tell one table's columns apart.
DIGEST_LENGTH = 16

#: Fields that name an expression's identity in one JVM, not what it computes.
_IDENTITY_FIELDS = frozenset(
    {"class", "num-children", "exprId", "resultId", "qualifier", "metadata", "jvmId"}
)
#: ``name#123`` in printed expressions, and ``Object@1a2b3c`` hash codes in printed objects.
_PRINTED_ID = re.compile(r"#\d+")
_OBJECT_HASH = re.compile(r"@[0-9a-f]{5,}\b")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def _normalised(text: str) -> str:
    return _OBJECT_HASH.sub("@", _PRINTED_ID.sub("#", text))


def _field_value(value: Any) -> Any:
    """A field as it takes part in the digest; None for what does not (nested plans)."""
    if is_flat_tree(value) or (isinstance(value, list) and value and is_flat_tree(value[0])):
        return None  # a subquery's plan: its columns reach the value through its attributes
    return value


def _node_text(expr: Expr, definitions: Mapping[int, str]) -> str:
    if expr.cls == "AttributeReference":
        expr_id = expr.expr_id
        defined = definitions.get(expr_id) if expr_id is not None else None
        return f"@{defined}" if defined is not None else f"attr:{expr.name}"
    fields = {
        key: kept
        for key, value in sorted(expr.fields.items())
        if key not in _IDENTITY_FIELDS and (kept := _field_value(value)) is not None
    }
    text = f"{expr.cls}/{len(expr.children)}{json.dumps(fields, sort_keys=True, default=str)}"
    return text if expr.cls == "Literal" else _normalised(text)  # a literal's text is its value


def expression_text(expr: Expr, definitions: Mapping[int, str] | None = None) -> str:
    """The canonical text of an expression tree, without any exprId (one line per node,
    pre-order with child counts, so the tree is unambiguous; iterative for very deep trees)."""
    known = definitions or {}
    return "\n".join(_node_text(node, known) for node in expr.walk())


def expression_digest(expr: Expr, definitions: Mapping[int, str] | None = None) -> str:
    """A short stable hash of :func:`expression_text`; ``definitions`` maps the exprIds that
    earlier expressions defined to their digests."""
    return _digest(expression_text(expr, definitions))


def column_fingerprint(
    sources: Iterable[tuple[str, str, bool]], expressions: Iterable[str] = ()
) -> str:
    """The fingerprint of one written column: ``sources`` are (source column key, subtype,
    masking), ``expressions`` the digests of the expressions that computed it."""
    canonical = {
        "sources": sorted({(key, subtype, bool(masked)) for key, subtype, masked in sources}),
        "expressions": sorted(set(expressions)),
    }
    return _digest(json.dumps(canonical, separators=(",", ":")))
