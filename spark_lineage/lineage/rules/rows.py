"""Nodes that choose, order or regroup rows but keep their child's columns.

``Filter`` adds its condition's columns as dataset-wide FILTER dependencies, ``Sort`` its keys as
SORT, ``Deduplicate`` (dropDuplicates) its keys as GROUP_BY; aliases, views, limits, hints,
repartitioning and sampling change nothing lineage sees.
"""

from __future__ import annotations

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.origins import Subtype
from spark_lineage.lineage.rules._common import child, field_exprs, with_deps
from spark_lineage.lineage.tree import PlanNode


def passthrough(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return child(node)


def filter_rows(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return with_deps(child(node), ctx.exprs(field_exprs(node, "condition"), Subtype.FILTER))


def sort_rows(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return with_deps(child(node), ctx.exprs(field_exprs(node, "order"), Subtype.SORT))


def deduplicate(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return with_deps(child(node), ctx.exprs(field_exprs(node, "keys"), Subtype.GROUP_BY))


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (frozenset({"Filter"}), filter_rows),
    (frozenset({"Sort"}), sort_rows),
    (frozenset({"Deduplicate", "DeduplicateWithinWatermark"}), deduplicate),
    (
        frozenset(
            {
                "SubqueryAlias",
                "View",
                "Distinct",
                "GlobalLimit",
                "LocalLimit",
                "Limit",
                "Offset",
                "Tail",
                "Repartition",
                "RepartitionByExpression",
                "RebalancePartitions",
                "Sample",
                "ResolvedHint",
                "UnresolvedHint",
                "Subquery",
                "EventTimeWatermark",
                "CollectMetrics",
                "WithWindowDefinition",
                "TypedFilter",
            }
        ),
        passthrough,
    ),
)
