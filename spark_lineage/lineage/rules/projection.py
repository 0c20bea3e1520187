"""``Project``: each output column is its named expression (aliases, casts, functions, CASE...)."""

from __future__ import annotations

from spark_lineage.lineage.context import LineageContext, NodeResult, Rule
from spark_lineage.lineage.rules._common import child, field_exprs, named_outputs
from spark_lineage.lineage.tree import PlanNode


def project(node: PlanNode, ctx: LineageContext) -> NodeResult:
    return NodeResult(named_outputs(field_exprs(node, "projectList"), ctx), child(node).deps)


RULES: tuple[tuple[frozenset[str], Rule], ...] = ((frozenset({"Project"}), project),)
