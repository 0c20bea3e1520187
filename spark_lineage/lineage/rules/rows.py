"""Nodes that choose, order or regroup rows but keep their child's columns.

``Filter`` adds its condition's columns as dataset-wide FILTER dependencies, ``Sort`` its keys as
SORT, ``Deduplicate`` (dropDuplicates) its keys as GROUP_BY; aliases, views, limits, hints,
repartitioning and sampling change nothing lineage sees.
"""

from __future__ import annotations

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.expressions import expressions_origins
from spark_lineage.lineage.origins import Subtype
from spark_lineage.lineage.rules._common import child, field_exprs, with_deps
from spark_lineage.lineage.tree import PlanNode


def passthrough(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return child(node)


def filter_rows(node: PlanNode, ctx: LineageContext) -> NodeResult:
    steering = expressions_origins(field_exprs(node, "condition"), ctx, Subtype.FILTER)
    return with_deps(child(node), steering)


def sort_rows(node: PlanNode, ctx: LineageContext) -> NodeResult:
    steering = expressions_origins(field_exprs(node, "order"), ctx, Subtype.SORT)
    return with_deps(child(node), steering)


def deduplicate(node: PlanNode, ctx: LineageContext) -> NodeResult:
    steering = expressions_origins(field_exprs(node, "keys"), ctx, Subtype.GROUP_BY)
    return with_deps(child(node), steering)


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
