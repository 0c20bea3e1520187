"""The rule registry: each plan-node class has exactly one rule, and a second claim is an error."""

from __future__ import annotations

import pytest

from spark_lineage.lineage.rules import RULES, WRITE_RULES, register
from spark_lineage.lineage.rules.delta_commands import delta_merge


def first(*_: object) -> None:
    return None


def second(*_: object) -> None:
    return None


def test_each_class_maps_to_the_rule_that_lists_it() -> None:
    table = register([(frozenset({"Project", "Filter"}), first), (frozenset({"Join"}), second)])

    assert table == {"Project": first, "Filter": first, "Join": second}


def test_a_class_listed_by_two_rules_is_refused_with_both_names() -> None:
    with pytest.raises(ValueError, match="plan node Filter is registered twice: by first and "
                                         "second"):
        register([(frozenset({"Filter"}), first), (frozenset({"Filter"}), second)])


def test_the_shipped_registries_hold_each_family_once() -> None:
    assert WRITE_RULES["MergeIntoCommand"] is delta_merge  # the Delta rule, not a generic one
    assert "Project" in RULES and "Join" in RULES
    assert not set(RULES) & set(WRITE_RULES)


def test_a_write_into_a_staged_table_is_the_inner_step_of_a_ctas() -> None:
    from spark_lineage.write_commands import is_inner_write

    assert is_inner_write({"node": "AppendData", "target_kind": "StagedDeltaTableV2"})
    assert not is_inner_write({"node": "AppendData", "target_kind": "DeltaTableV2"})
    assert not is_inner_write({"node": "InsertIntoHadoopFsRelationCommand"})
    assert not is_inner_write(None)
