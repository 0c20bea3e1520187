"""The one walk over a JVM plan's leaves that capture does (relations, Delta reads).

A query's data can sit in several places besides the plan's children: subqueries, the inner
children of commands (V2 CTAS/RTAS queries), and plain fields of commands that
``spark_lineage.write_commands`` lists (the query of a V1 CTAS, source and target of a MERGE).
The walk visits all of them, in plan order, and yields each leaf with its node name.
"""

from __future__ import annotations

from typing import Any

from spark_lineage.capture.handles import is_instance
from spark_lineage.capture.scala import seq
from spark_lineage.write_commands import NESTED_PLAN_FIELDS

#: A plan larger than this is cut short (the lineage engine notes the truncation elsewhere).
MAX_LEAVES = 10_000

_QUERY_PLAN = "org.apache.spark.sql.catalyst.plans.QueryPlan"


def plan_leaves(root: Any, limit: int = MAX_LEAVES) -> list[tuple[Any, str]]:
    """Every leaf of ``root`` (analyzed, optimized or physical), of its subqueries and of the
    plans its commands hold, as (JVM leaf, node name); at most ``limit`` of them."""
    found: list[tuple[Any, str]] = []
    pending = [root]
    while pending and len(found) < limit:
        plan = pending.pop()
        pending.extend(seq(plan.subqueriesAll()))
        pending.extend(child for child in seq(plan.innerChildren()) if is_plan(child))
        for leaf in seq(plan.collectLeaves()):
            node = str(leaf.nodeName())
            found.append((leaf, node))
            pending.extend(getattr(leaf, field)() for field in NESTED_PLAN_FIELDS.get(node, ()))
    return found


def is_plan(node: Any) -> bool:
    """True for a logical or physical query plan (inner children may be other tree nodes)."""
    return is_instance(node, _QUERY_PLAN)
