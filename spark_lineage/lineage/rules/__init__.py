"""Lineage rules, one module per plan-node family, registered explicitly and in order.

The first module that lists a class owns it; anything unlisted falls to
:func:`~spark_lineage.lineage.rules.conservative.conservative`. Write commands: the Delta DML rules
(``delta_commands``: MERGE/UPDATE/DELETE, owned by the Delta work) come before ``writes``.
"""

from __future__ import annotations

from spark_lineage.lineage.context import Rule
from spark_lineage.lineage.rules import (
    aggregate,
    cte,
    delta_commands,
    generate,
    join,
    opaque,
    projection,
    relations,
    rows,
    setops,
    window,
    writes,
)
from spark_lineage.lineage.rules.conservative import conservative
from spark_lineage.lineage.rules.writes import WriteRule

RULE_MODULES = (relations, projection, rows, join, aggregate, window, setops, generate, cte, opaque)


def _registry() -> dict[str, Rule]:
    table: dict[str, Rule] = {}
    for module in RULE_MODULES:
        for classes, rule in module.RULES:
            for name in classes:
                table.setdefault(name, rule)
    return table


def _write_registry() -> dict[str, WriteRule]:
    table: dict[str, WriteRule] = {}
    for classes, rule in (*delta_commands.WRITES, *writes.WRITES):
        for name in classes:
            table.setdefault(name, rule)
    return table


RULES: dict[str, Rule] = _registry()
WRITE_RULES: dict[str, WriteRule] = _write_registry()
FALLBACK: Rule = conservative

__all__ = ["FALLBACK", "RULES", "RULE_MODULES", "WRITE_RULES"]
