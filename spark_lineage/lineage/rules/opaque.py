"""Opaque functions of whole rows: pandas/Arrow map and group UDFs (``mapInPandas``,
``applyInPandas``, ``mapInArrow``...) and typed Dataset operations (``DeserializeToObject`` ->
``MapPartitions`` -> ``SerializeFromObject``). Every output column depends on every input column
as TRANSFORMATION: that is the exact semantics of an opaque function, not a guess, so it is not
flagged conservative. Grouping attributes are GROUP_BY (a cogroup's: the leading key columns of
both sides). (Scalar Python and pandas UDFs are plain
expressions in the analyzed plan: their output is TRANSFORMATION of their arguments.)"""

from __future__ import annotations

from spark_lineage.lineage.context import Attr, LineageContext, NodeResult, Rule, child_results
from spark_lineage.lineage.expressions import expressions_origins
from spark_lineage.lineage.origins import Deps, Origin, Origins, Subtype, compose
from spark_lineage.lineage.tree import PlanNode, attributes, expr_list

_OUTPUT_FIELDS = ("output", "outputObjAttr", "serializer", "newColumns")
_GROUPING_FIELDS = ("groupingAttributes", "leftGroup", "rightGroup", "groupingExprs")


def opaque(node: PlanNode, ctx: LineageContext) -> NodeResult:
    inputs: set[Origin] = set()
    deps = []
    for result in child_results(node):
        deps.append(result.deps)
        for attr in result.output:
            inputs.update(compose(ctx.origins_of(attr.expr_id), Subtype.TRANSFORMATION, False))
    everything = frozenset(inputs)
    outputs: list[Attr] = []
    for field in _OUTPUT_FIELDS:
        for expr in attributes(node.fields.get(field)):
            outputs.append(Attr.of(expr))
    for attr in outputs:
        ctx.origins[attr.expr_id] = everything
    keys = [e for f in _GROUPING_FIELDS for e in expr_list(node.fields.get(f))]
    own = expressions_origins(keys, ctx, Subtype.GROUP_BY) | _leading_keys(node, ctx)
    if node.cls == "AppendColumns" and node.children:
        outputs = list(child_results(node)[0].output) + outputs
    return NodeResult(tuple(outputs), Deps.of(own, tuple(deps)))


def _leading_keys(node: PlanNode, ctx: LineageContext) -> Origins:
    """A cogroup's keys (``FlatMapCoGroupsIn*``): the first ``leftGroupingLen`` columns of its
    left child and the first ``rightGroupingLen`` of its right child, as GROUP_BY."""
    keys: set[Origin] = set()
    results = child_results(node)
    for index, field in enumerate(("leftGroupingLen", "rightGroupingLen")):
        count = node.fields.get(field)
        result = results[index] if index < len(results) else None
        if isinstance(count, int) and isinstance(result, NodeResult):
            for attr in result.output[:count]:
                keys.update(compose(ctx.origins_of(attr.expr_id), Subtype.GROUP_BY, False))
    return frozenset(keys)


RULES: tuple[tuple[frozenset[str], Rule], ...] = (
    (
        frozenset(
            {
                "MapInPandas",
                "MapInArrow",
                "PythonMapInArrow",
                "FlatMapGroupsInPandas",
                "FlatMapGroupsInArrow",
                "FlatMapCoGroupsInPandas",
                "FlatMapCoGroupsInArrow",
                "FlatMapGroupsInPandasWithState",
                "DeserializeToObject",
                "SerializeFromObject",
                "MapPartitions",
                "MapPartitionsInRWithArrow",
                "MapElements",
                "MapGroups",
                "CoGroup",
                "AppendColumns",
                "FlatMapGroupsWithState",
                "TransformWithState",
                "AttachDistributedSequence",
            }
        ),
        opaque,
    ),
)
