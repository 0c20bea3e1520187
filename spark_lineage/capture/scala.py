"""Small py4j helpers for Scala values: sequences and options, in one place for all of capture."""

from __future__ import annotations

from typing import Any


def seq(scala_seq: Any) -> list[Any]:
    """A Scala ``Seq`` as a Python list (one round trip per element, so only for short ones)."""
    return [scala_seq.apply(i) for i in range(int(scala_seq.size()))]


def option(scala_option: Any) -> Any:
    """The value of a Scala ``Option``, or None when it is empty (or itself None)."""
    if scala_option is None or not scala_option.isDefined():
        return None
    return scala_option.get()


def option_str(scala_option: Any) -> str | None:
    value = option(scala_option)
    return None if value is None else str(value)


def catalog_name(catalog_table: Any) -> str | None:
    """``Option[CatalogTable]`` as ``spark_catalog.db.table`` (None when empty)."""
    table = option(catalog_table)
    return None if table is None else str(table.identifier().unquotedString())
