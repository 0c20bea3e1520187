"""Lineage rules, one module per plan-node family, registered explicitly and in order.

Each plan-node class belongs to exactly one rule: a class listed twice raises at import, so that
no rule is ever shadowed silently. Anything unlisted falls to
:func:`~spark_lineage.lineage.rules.conservative.conservative`. Write commands: the Delta DML rules
(``delta_commands``: MERGE/UPDATE/DELETE) and the generic ``writes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

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


R = TypeVar("R", bound=Callable[..., object])


def register(entries: Iterable[tuple[Iterable[str], R]]) -> dict[str, R]:
    """Class name -> rule; raises ``ValueError`` naming a class that two entries list."""
    table: dict[str, R] = {}
    for classes, rule in entries:
        for name in classes:
            owner = table.get(name)
            if owner is not None:
                raise ValueError(
                    f"plan node {name} is registered twice: by {owner.__qualname__} and "
                    f"{rule.__qualname__}"
                )
            table[name] = rule
    return table


def _registry() -> dict[str, Rule]:
    return register(entry for module in RULE_MODULES for entry in module.RULES)


def _write_registry() -> dict[str, WriteRule]:
    return register((*delta_commands.WRITES, *writes.WRITES))


RULES: dict[str, Rule] = _registry()
WRITE_RULES: dict[str, WriteRule] = _write_registry()
FALLBACK: Rule = conservative

__all__ = ["FALLBACK", "RULES", "RULE_MODULES", "WRITE_RULES"]
