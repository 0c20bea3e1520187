"""The policy file: what it accepts, what it refuses, and which columns its rules tag."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_lineage.compliance.model import TagAssignment, TagSource
from spark_lineage.compliance.policy import (
    DatasetColumns,
    PolicyError,
    load_policy,
    match_columns,
    parse_policy,
)

REPO_POLICY = Path(__file__).resolve().parents[3] / "policy" / "tags.toml"

CUSTOMERS = DatasetColumns(
    "file::/lake/customers",
    "/lake/customers",
    "shop.Customers",
    (
        ("file::/lake/customers::email", "email"),
        ("file::/lake/customers::phone_home", "phone_home"),
        ("file::/lake/customers::address.city", "address.city"),
        ("file::/lake/customers::id", "id"),
    ),
)
ORDERS = DatasetColumns(
    "s3://bucket::warehouse/orders",
    "warehouse/orders",
    None,
    (("s3://bucket::warehouse/orders::email", "email"),),
)


def policy(*rules: dict[str, object], name: str = "test") -> list[TagAssignment]:
    return match_columns(parse_policy({"name": name, "rule": list(rules)}), [CUSTOMERS, ORDERS])


def test_a_rule_tags_matching_columns_of_matching_datasets() -> None:
    assert policy({"datasets": "*/customers", "columns": ["email", "phone*"], "tags": "pii"}) == [
        TagAssignment("file::/lake/customers::email", "pii", TagSource.POLICY, "rule 1", "test"),
        TagAssignment(
            "file::/lake/customers::phone_home", "pii", TagSource.POLICY, "rule 1", "test"
        ),
    ]


def test_datasets_match_by_key_path_or_case_insensitive_table() -> None:
    by_key = policy({"datasets": "s3://bucket::*", "columns": "email", "tags": "pii"})
    by_table = policy({"datasets": "SHOP.customers", "columns": "email", "tags": "pii"})
    by_path = policy({"datasets": "warehouse/*", "columns": "email", "tags": "pii"})
    assert [a.column_key for a in by_key] == ["s3://bucket::warehouse/orders::email"]
    assert [a.column_key for a in by_table] == ["file::/lake/customers::email"]
    assert [a.column_key for a in by_path] == ["s3://bucket::warehouse/orders::email"]


def test_nested_fields_are_matched_by_their_dotted_name() -> None:
    found = policy({"datasets": "*", "columns": "address.*", "tags": ["pii", "location"]})
    assert [(a.column_key, a.tag) for a in found] == [
        ("file::/lake/customers::address.city", "location"),
        ("file::/lake/customers::address.city", "pii"),
    ]


def test_the_first_rule_giving_a_tag_is_recorded_once() -> None:
    found = policy(
        {"name": "first", "datasets": "*", "columns": "email", "tags": "pii"},
        {"name": "second", "datasets": "*/customers", "columns": "*", "tags": "pii"},
    )
    email = [a for a in found if a.column_key == "file::/lake/customers::email"]
    assert [a.detail for a in email] == ["first"]
    assert len(found) == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rule": [{"datasets": "*", "columns": "x"}]}, "'tags' must be"),
        ({"rule": [{"datasets": "*", "columns": "x", "tags": "bad tag"}]}, "invalid tag name"),
        ({"rule": [{"datasets": "*", "columns": [], "tags": "pii"}]}, "'columns' must be"),
        ({"rule": [{"datasets": "*", "columns": "x", "tags": "p", "colums": 1}]}, "unknown key"),
        ({"rules": []}, "unknown top-level"),
        ({"rule": {"datasets": "*"}}, "array of tables"),
    ],
)
def test_malformed_policies_are_refused_with_the_rule_named(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(data)


def test_the_policy_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "team-a.toml"
    path.write_text('[[rule]]\ndatasets = "*"\ncolumns = "email"\ntags = "pii"\n')
    assert load_policy(path).name == "team-a"


def test_a_missing_or_invalid_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[[rule]\n")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "bad.toml")


def test_the_example_policy_in_the_repository_is_valid() -> None:
    loaded = load_policy(REPO_POLICY)
    assert loaded.rules and all(rule.tags for rule in loaded.rules)
