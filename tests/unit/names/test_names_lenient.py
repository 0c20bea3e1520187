"""Lenient matching and suggestions over the names the graph has (pure: no graph needed)."""

from __future__ import annotations

import pytest

from spark_lineage.names.parse import candidates
from spark_lineage.names.resolve import (
    KnownDataset,
    UnknownName,
    lenient_matches,
    match_column,
    suggestions,
)

CUSTOMERS = KnownDataset(
    "file::/wh/crm.db/customers", "file", "/wh/crm.db/customers", "crm.customers"
)
SHOP = KnownDataset("file::/wh/shop.db/orders", "file", "/wh/shop.db/orders", "shop.orders")
ARCHIVE = KnownDataset("file::/wh/old.db/orders", "file", "/wh/old.db/orders", "old.orders")
RAW = KnownDataset("file::/lake/raw/events", "file", "/lake/raw/events", None)
MEMORY = KnownDataset("memory::app/range/1a2b3c", "memory", "app/range/1a2b3c", None)
KNOWN = [CUSTOMERS, SHOP, ARCHIVE, RAW, MEMORY]


def keys(found: list[KnownDataset]) -> list[str]:
    return [d.key for d in found]


def test_a_table_name_matches_in_any_case() -> None:
    assert keys(lenient_matches("CRM.Customers", KNOWN)) == [CUSTOMERS.key]


def test_a_bare_table_name_matches_every_table_of_that_name() -> None:
    assert keys(lenient_matches("customers", KNOWN)) == [CUSTOMERS.key]
    assert keys(lenient_matches("Orders", KNOWN)) == [SHOP.key, ARCHIVE.key]


def test_the_end_of_an_in_memory_name_matches_it() -> None:
    assert keys(lenient_matches("range/1a2b3c", KNOWN)) == [MEMORY.key]


def test_a_path_is_never_matched_leniently() -> None:
    assert lenient_matches("/lake/RAW/events", KNOWN) == []
    assert lenient_matches("events", KNOWN) == []


def test_suggestions_are_the_nearest_table_names_and_locations() -> None:
    assert suggestions(candidates("crm.custmers"), KNOWN)[0] == "crm.customers"
    assert suggestions(candidates("/lake/raw/event"), KNOWN) == ["/lake/raw/events"]
    assert suggestions(candidates("memory:app/range/1a2b3"), KNOWN) == ["memory:app/range/1a2b3c"]
    assert suggestions(candidates("zzzz"), KNOWN) == []


def test_a_column_matches_exactly_then_in_any_case() -> None:
    columns = {"email": "k::email", "Name": "k::Name"}
    assert match_column("k", "email", columns) == "email"
    assert match_column("k", "name", columns) == "Name"


def test_an_unknown_column_suggests_the_nearest_and_lists_the_columns() -> None:
    with pytest.raises(UnknownName) as raised:
        match_column("k", "emial", {"email": "k::email", "id": "k::id"})
    assert str(raised.value) == (
        "dataset k has no column 'emial'; did you mean: email? (columns: email, id)"
    )
    assert raised.value.suggestions == ("email",)


def test_a_column_two_columns_spell_in_other_cases_is_not_guessed() -> None:
    with pytest.raises(UnknownName, match="has no column 'id'"):
        match_column("k", "id", {"ID": "k::ID", "Id": "k::Id"})
