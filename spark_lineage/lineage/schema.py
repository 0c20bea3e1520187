"""Spark ``DataType`` JSON (as ``toJSON`` prints it) to the readable type names schemas use."""

from __future__ import annotations

from typing import Any


def type_name(data_type: Any) -> str:
    """``"long"`` -> ``bigint``; struct/array/map JSON -> ``struct<a:int,...>`` (like Spark)."""
    if isinstance(data_type, str):
        return _SIMPLE.get(data_type, data_type)
    if not isinstance(data_type, dict):
        return ""
    kind = data_type.get("type")
    if kind == "struct":
        fields = ",".join(
            f"{f.get('name')}:{type_name(f.get('type'))}" for f in data_type.get("fields") or ()
        )
        return f"struct<{fields}>"
    if kind == "array":
        return f"array<{type_name(data_type.get('elementType'))}>"
    if kind == "map":
        key, value = type_name(data_type.get("keyType")), type_name(data_type.get("valueType"))
        return f"map<{key},{value}>"
    return str(kind or "")


_SIMPLE = {"long": "bigint", "integer": "int", "short": "smallint", "byte": "tinyint"}
