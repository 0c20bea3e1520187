"""Reading what a user types as ``<dataset>[.<column>]`` without the graph: the candidate
readings (longest dataset part first), the key a path or URI has, and the spellings the CLI
prints, which must read back to the same key."""

from __future__ import annotations

import pytest

from spark_lineage.names.parse import candidates, column_part, location, location_key


def splits(
    text: str, explicit: bool = False, cwd: str = "/work"
) -> list[tuple[str, str | None, str | None]]:
    """(dataset text, location key, column) for every candidate, longest dataset first."""
    return [
        (c.text, c.location_key, column_part(text, c.end))
        for c in candidates(text, explicit, cwd=cwd)
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


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("lake/raw/orders", "file::/work/lake/raw/orders"),
        ("./lake/orders", "file::/work/lake/orders"),
        ("../lake/orders", "file::/lake/orders"),
        ("../../../lake/orders", "file::/lake/orders"),
        ("..", "file::/"),
        ("/lake/tmp/../raw/orders", "file::/lake/raw/orders"),
        ("file:/lake/./raw//orders/", "file::/lake/raw/orders"),
    ],
)
def test_relative_paths_and_dot_dot_resolve_against_the_current_directory_like_a_shell(
    text: str, key: str
) -> None:
    assert location_key(text, cwd="/work") == key


def test_a_relative_path_with_a_column_is_not_split_inside_its_dots() -> None:
    assert splits("../lake/orders.amount") == [
        ("../lake/orders.amount", "file::/lake/orders.amount", None),
        ("../lake/orders", "file::/lake/orders", "amount"),
    ]


def test_a_table_name_is_no_path() -> None:
    assert location_key("crm.customers") is None
    assert location_key("customers") is None


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("file", "/lake/raw/orders"),
        ("memory", "app/range/1a2b3c"),
        ("s3://bucket", "warehouse/orders"),
        ("hdfs://nn:8020", "/lake/orders"),
        ("spark_catalog", "crm.customers"),
    ],
)
def test_the_location_the_cli_prints_reads_back_to_the_same_key(namespace: str, name: str) -> None:
    assert location_key(location(namespace, name)) == f"{namespace}::{name}"


def test_the_memory_spelling_of_reproduce_splits_off_a_column() -> None:
    found = splits("memory:app/range/1a2b3c.id")
    assert ("memory:app/range/1a2b3c", "memory::app/range/1a2b3c", "id") in found


def test_a_path_with_a_doubled_slash_is_also_tried_exactly_as_typed() -> None:
    """A name loaded from elsewhere may keep a ``//`` that normalising would lose."""
    keys = [c.location_key for c in candidates("file:/lake/a //b", explicit_column=True)]

    assert keys == ["file::/lake/a /b", "file::/lake/a //b"]


def test_a_normal_path_has_one_reading() -> None:
    assert [c.location_key for c in candidates("/lake/orders", explicit_column=True)] == [
        "file::/lake/orders"
    ]
