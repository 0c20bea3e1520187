"""The rule registry: each plan-node class has exactly one rule, and a second claim is an error;
the table of write commands says which writes are steps of another."""

from __future__ import annotations

import pytest

from spark_lineage.lineage.rules import RULES, WRITE_RULES, register
from spark_lineage.lineage.rules.delta_commands import delta_merge
from spark_lineage.model import WriteStep
from spark_lineage.write_commands import (
    DELTA_COPY_OPERATIONS,
    DELTA_DML_OPERATIONS,
    NESTED_PLAN_FIELDS,
    write_step,
)


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
    staged = {"node": "AppendData", "target_kind": "StagedDeltaTableV2"}
    assert write_step(staged) is WriteStep.INNER
    assert write_step({"node": "AppendData", "target_kind": "DeltaTableV2"}) is WriteStep.WHOLE
    assert write_step(None) is WriteStep.WHOLE


def test_file_source_writes_may_be_the_inner_step_of_a_save_as_table() -> None:
    for node in (
        "InsertIntoHadoopFsRelationCommand",
        "CreateDataSourceTableAsSelectCommand",
        "SaveIntoDataSourceCommand",
    ):
        assert write_step({"node": node}) is WriteStep.NESTABLE, node
    for node in ("SaveAsV1TableCommand", "ReplaceTableAsSelect", "MergeIntoCommand"):
        assert write_step({"node": node}) is WriteStep.WHOLE, node


def test_every_command_with_plans_in_fields_is_walked_and_every_dml_has_its_operation() -> None:
    assert NESTED_PLAN_FIELDS["MergeIntoCommand"] == ("source", "target")
    assert NESTED_PLAN_FIELDS["SaveAsV1TableCommand"] == ("query",)
    assert DELTA_DML_OPERATIONS == {
        "MergeIntoCommand": "MERGE",
        "UpdateCommand": "UPDATE",
        "DeleteCommand": "DELETE",
    }


def test_restore_and_clone_are_delta_copies_with_their_operation_and_a_write_rule() -> None:
    assert DELTA_COPY_OPERATIONS == {
        "RestoreTableCommand": "RESTORE",
        "CreateDeltaTableCommand": "CLONE",
    }
    assert set(DELTA_COPY_OPERATIONS) <= set(WRITE_RULES)
    assert not set(DELTA_COPY_OPERATIONS) & set(DELTA_DML_OPERATIONS)
