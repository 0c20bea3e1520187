"""Reading ``<dataset>.<column>`` when both parts may contain dots: the candidate split points."""

from __future__ import annotations

from spark_lineage.graph.lookup import candidates
from spark_lineage.impact.resolve import column_part


def splits(text: str, explicit: bool = False) -> list[tuple[str, str | None, str | None]]:
    """(dataset text, location key, column) for every candidate, longest dataset first."""
    return [
        (c["text"], c["location_key"], column_part(text, c["end"]))
        for c in candidates(text, explicit)
    ]


def test_a_table_column_is_tried_at_every_dot_longest_first() -> None:
    assert splits("db.orders.amount") == [
        ("db.orders.amount", None, None),
        ("db.orders", None, "amount"),
        ("db", None, "orders.amount"),
    ]


def test_a_nested_column_of_a_path_keeps_its_dots() -> None:
    found = splits("/lake/raw/customers.address.city")
    assert ("/lake/raw/customers", "file::/lake/raw/customers", "address.city") in found
    assert found[0] == (
        "/lake/raw/customers.address.city",
        "file::/lake/raw/customers.address.city",
        None,
    )


def test_file_uris_map_to_the_file_namespace() -> None:
    found = splits("file:/lake/raw/orders.amount")
    assert ("file:/lake/raw/orders", "file::/lake/raw/orders", "amount") in found
    found = splits("file:///lake/raw/orders.amount")
    assert ("file:///lake/raw/orders", "file::/lake/raw/orders", "amount") in found


def test_object_store_uris_follow_the_openlineage_naming() -> None:
    found = splits("s3a://bucket/warehouse/orders.amount")
    assert ("s3a://bucket/warehouse/orders", "s3://bucket::warehouse/orders", "amount") in found


def test_a_column_key_splits_at_its_double_colon() -> None:
    found = splits("file::/lake/orders::address.city")
    assert ("file::/lake/orders", None, "address.city") in found  # matched as a key


def test_an_explicit_column_makes_the_whole_text_the_dataset() -> None:
    assert splits("db.orders", explicit=True) == [("db.orders", None, None)]
