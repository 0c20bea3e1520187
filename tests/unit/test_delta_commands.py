"""Column lineage of Delta UPDATE, DELETE and MERGE, on plans recorded from real Delta 4.4 commands.

The plans (tests/fixtures/delta/delta_commands.json) were captured with ``capture_plan`` plus
``delta_facts`` from the commands' ``QueryExecution``; ``accounts`` is a catalog table
``(id, email, balance, region)``, ``payments`` one ``(account_id, amount, email)`` and
``events`` a path table ``(id, kind, score)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.lineage import extract_lineage
from spark_lineage.lineage.labels import dependency_rows, edge_rows, input_labels
from spark_lineage.lineage.rules import WRITE_RULES
from spark_lineage.lineage.rules.delta_commands import WRITES
from spark_lineage.model import CapturedPlan, QueryLineage

FIXTURE = Path(__file__).parents[1] / "fixtures" / "delta" / "delta_commands.json"
CASES = {c["title"]: c for c in json.loads(FIXTURE.read_text())["cases"]}

ID, DIRECT, COND, FILTER = (
    "DIRECT/IDENTITY",
    "DIRECT/TRANSFORMATION",
    "INDIRECT/CONDITIONAL",
    ("INDIRECT/FILTER"),
)


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """Register the rules the way rules/__init__.py will (the lead wires it)."""
    saved = dict(WRITE_RULES)
    for classes, rule in WRITES:
        for name in classes:
            WRITE_RULES[name] = rule
    yield
    WRITE_RULES.clear()
    WRITE_RULES.update(saved)


def lineage(title: str) -> QueryLineage:
    case: dict[str, Any] = CASES[title]
    return extract_lineage(CapturedPlan.from_dict(case["plan"]))


def test_update_with_where_changed_columns_take_expression_old_value_and_condition() -> None:
    result = lineage(
        "UPDATE with an expression and a WHERE: changed columns also keep their old value"
    )

    assert edge_rows(result) == {
        # balance = balance * 2 + id WHERE region = 'eu'
        ("default.accounts.balance", "default.accounts.balance", DIRECT),
        ("default.accounts.id", "default.accounts.balance", DIRECT),
        ("default.accounts.balance", "default.accounts.balance", ID),  # rows left untouched
        ("default.accounts.region", "default.accounts.balance", COND),
        # email = upper(email) WHERE region = 'eu'
        ("default.accounts.email", "default.accounts.email", DIRECT),
        ("default.accounts.email", "default.accounts.email", ID),
        ("default.accounts.region", "default.accounts.email", COND),
        # not in SET: the target keeps being the source
        ("default.accounts.id", "default.accounts.id", ID),
        ("default.accounts.region", "default.accounts.region", ID),
    }
    assert dependency_rows(result) == set()  # an UPDATE removes no row
    assert input_labels(result) == {"default.accounts"}
    assert [o.write_mode for o in result.outputs] == ["Update"]


def test_update_without_where_takes_only_the_new_value() -> None:
    result = lineage("UPDATE without WHERE: every row gets the new value")

    assert edge_rows(result) == {
        ("default.accounts.id", "default.accounts.id", ID),
        ("default.accounts.email", "default.accounts.email", ID),
        ("default.accounts.balance", "default.accounts.balance", ID),
        # region = 'global': a literal, no source column at all
    }


def test_delete_keeps_every_column_and_filters_on_the_where_columns() -> None:
    result = lineage("DELETE ... WHERE on a catalog table")

    assert edge_rows(result) == {
        ("default.accounts.id", "default.accounts.id", ID),
        ("default.accounts.email", "default.accounts.email", ID),
        ("default.accounts.balance", "default.accounts.balance", ID),
        ("default.accounts.region", "default.accounts.region", ID),
    }
    assert dependency_rows(result) == {
        ("default.accounts.balance", FILTER),
        ("default.accounts.region", FILTER),
    }


def test_delete_on_a_path_table_names_the_table_by_its_path() -> None:
    result = lineage("DELETE ... WHERE on a path table")

    assert [(o.dataset.namespace, o.dataset.name) for o in result.outputs] == [
        ("file", "/tmp/spark-lineage-fixtures/events")
    ]
    assert input_labels(result) == {"events"}
    assert ("events.score", FILTER) in dependency_rows(result)
    assert ("events.kind", "events.kind", ID) in edge_rows(result)


def test_delete_without_where_has_no_filter_dependency() -> None:
    result = lineage("DELETE without WHERE")

    assert dependency_rows(result) == set()
    assert len(edge_rows(result)) == 4


def test_without_capture_facts_the_catalog_table_still_names_the_target() -> None:
    case = CASES["DELETE ... WHERE on a catalog table"]
    facts = {k: v for k, v in case["plan"]["facts"].items() if k not in ("delta_write", "write")}
    result = extract_lineage(CapturedPlan(tuple(case["plan"]["nodes"]), facts))

    assert [o.dataset.table for o in result.outputs] == ["default.accounts"]
    assert ("default.accounts.region", FILTER) in dependency_rows(result)


def test_merge_with_query_source_keeps_target_columns_and_adds_each_action() -> None:
    result = lineage("MERGE with a query source, conditional delete, expression update and insert")

    assert edge_rows(result) == {
        # rows no clause changes keep every target column
        ("default.accounts.id", "default.accounts.id", ID),
        ("default.accounts.email", "default.accounts.email", ID),
        ("default.accounts.balance", "default.accounts.balance", ID),
        ("default.accounts.region", "default.accounts.region", ID),
        # WHEN MATCHED THEN UPDATE SET balance = t.balance + s.total
        ("default.accounts.balance", "default.accounts.balance", DIRECT),
        ("default.payments.amount", "default.accounts.balance", "DIRECT/AGGREGATION"),
        # WHEN NOT MATCHED THEN INSERT (s.account_id, s.email, s.total, 'new')
        ("default.payments.account_id", "default.accounts.id", ID),
        ("default.payments.email", "default.accounts.email", "DIRECT/AGGREGATION"),
    }
    assert dependency_rows(result) == {
        ("default.accounts.id", "INDIRECT/JOIN"),  # ON t.id = s.account_id
        ("default.payments.account_id", "INDIRECT/JOIN"),
        ("default.payments.account_id", "INDIRECT/GROUP_BY"),  # the source query's GROUP BY
        ("default.payments.amount", FILTER),  # its WHERE, and WHEN MATCHED AND s.total > 100 DELETE
    }
    assert input_labels(result) == {"default.accounts", "default.payments"}
    assert [o.write_mode for o in result.outputs] == ["Merge"]


def test_merge_through_the_api_not_matched_by_source_delete_filters_on_target_columns() -> None:
    result = lineage("MERGE through the DeltaTable API with not-matched-by-source delete")

    assert ("default.accounts.region", FILTER) in dependency_rows(result)
    assert ("default.payments.amount", FILTER) in dependency_rows(result)  # .where("amount > 6")
    assert ("default.payments.email", "default.accounts.email", ID) in edge_rows(result)
    assert ("default.payments.amount", "default.accounts.balance", ID) in edge_rows(result)
    # region is neither updated nor inserted: only the target's own values
    assert {e for e in edge_rows(result) if e[1] == "default.accounts.region"} == {
        ("default.accounts.region", "default.accounts.region", ID)
    }
