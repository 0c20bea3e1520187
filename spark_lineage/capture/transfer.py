"""Bring large JVM strings (plan JSON) to Python without py4j's 40 ms stall.

Why this module exists: a py4j reply longer than the Java side's 8 KiB writer buffer leaves the
socket in two writes. The JVM's socket has Nagle's algorithm on, so the second, partial segment
waits for the ACK of the first, and Linux delays that ACK by up to 40 ms. On this kind of machine
``LogicalPlan.toJSON()`` therefore costs ~45 ms for any plan whose JSON is over ~8 KB (a
10-column projection), of which ~2 ms is Spark building the JSON; below 8 KB it costs 1-3 ms.
Measured with ``benchmarks/lineage_extraction.py``; equality with ``toJSON`` is tested in
``tests/integration/test_capture_transfer.py``.

What we do instead: build the JSON on the JVM side into a ``java.io.StringWriter`` (Spark's own
json4s/Jackson mapper, the one ``toJSON`` uses, so the text is byte-identical) and fetch it in
slices that each fit one socket write. A slice is one round trip (~0.1 ms), so a 50 KB plan
costs a dozen round trips instead of one 40 ms stall. Very large texts are fetched in one reply:
past a few hundred KB the single stall is cheaper than hundreds of round trips.

If anything here is missing on another Spark build (no json4s mapper, no ``jsonValue``), the
caller falls back to ``toJSON()``; the result is the same, only slower.
"""

from __future__ import annotations

import threading
from typing import Any

from spark_lineage.capture.handles import java_class

# One slice must leave the JVM in a single socket write: py4j's writer buffers 8,192 chars and
# escapes ``\`` and newlines (at most doubling a slice), so 4,000 chars always fit.
SLICE_CHARS = 4_000
# Above this, one reply (one stall) beats ~BULK/SLICE round trips.
BULK_CHARS = 256_000

_MAPPER: list[tuple[Any, Any]] = []  # [(jvm view, mapper)] for the current JVM
_LOCK = threading.Lock()


def active_jvm() -> Any:
    """The py4j JVM view of the active SparkContext (the driver JVM the query ran in)."""
    from pyspark import SparkContext

    jvm = SparkContext._jvm
    if jvm is None:
        raise RuntimeError("no active SparkContext: capture needs the driver's JVM")
    return jvm


def plan_json_text(plan: Any, jvm: Any) -> str:
    """``plan.toJSON()``, byte for byte, fetched without the Nagle/delayed-ACK stall."""
    writer = java_class("java.io.StringWriter")()
    _json_mapper(jvm).writeValue(writer, plan.jsonValue())
    return fetch_buffer(writer.getBuffer())


def fetch_buffer(buffer: Any) -> str:
    """The text of a JVM ``StringBuffer``/``StringBuilder``: one reply if small or very large,
    otherwise :data:`SLICE_CHARS`-sized slices (each a single socket write on the JVM side).

    A slice never ends between the two halves of a surrogate pair (a character outside the
    Basic Multilingual Plane, such as an emoji in a column name): py4j would encode each lone half
    as ``?``. The check costs one extra round trip per slice, and only for texts that hold such
    characters."""
    length = int(buffer.length())
    if length <= SLICE_CHARS or length > BULK_CHARS:
        return str(buffer.toString())
    has_pairs = int(buffer.codePointCount(0, length)) != length
    parts: list[str] = []
    start = 0
    while start < length:
        end = min(length, start + SLICE_CHARS)
        if has_pairs and end < length and int(buffer.codePointAt(end - 1)) > 0xFFFF:
            end -= 1  # end - 1 is a high surrogate whose low half is at end: keep them together
        parts.append(str(buffer.substring(start, end)))
        start = end
    return "".join(parts)


def _json_mapper(jvm: Any) -> Any:
    """Spark's json4s ``ObjectMapper`` (``org.json4s.jackson.JsonMethods.mapper``), cached for
    the current JVM view: ``TreeNode.toJSON`` is ``compact(render(jsonValue))``, its output."""
    with _LOCK:
        if not _MAPPER or _MAPPER[0][0] is not jvm:  # first use, or a new SparkContext
            methods = getattr(getattr(jvm.org.json4s.jackson, "JsonMethods$"), "MODULE$")
            _MAPPER[:] = [(jvm, methods.mapper())]
        return _MAPPER[0][1]


__all__ = ["BULK_CHARS", "SLICE_CHARS", "active_jvm", "fetch_buffer", "plan_json_text"]
