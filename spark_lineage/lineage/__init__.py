"""Column-level lineage from a captured plan: pure Python, no py4j or pyspark anywhere below.

:func:`extract_lineage` rebuilds the analyzed plan from its JSON, resolves every attribute
(exprId) once, bottom-up, into the source columns it comes from (:mod:`.context`, one rule per
plan-node family in :mod:`.rules`), then reads off each written column's sources. See
``docs/lineage.md`` for the semantics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spark_lineage.lineage.context import LineageContext
from spark_lineage.lineage.delta_versions import attach_versions
from spark_lineage.lineage.fingerprint import column_fingerprint
from spark_lineage.lineage.origins import Origin
from spark_lineage.lineage.resolve import PlanResolver
from spark_lineage.lineage.rules import FALLBACK, RULES, WRITE_RULES
from spark_lineage.lineage.rules._common import pick_by_name
from spark_lineage.lineage.rules.writes import WriteResult
from spark_lineage.lineage.schema import type_name
from spark_lineage.lineage.tree import PlanNode, build_plan
from spark_lineage.model import (
    CapturedPlan,
    ColumnEdge,
    ColumnRef,
    InputDataset,
    OutputDataset,
    QueryLineage,
    SchemaField,
    Transformation,
    TransformationSubtype,
    TransformationType,
)
from spark_lineage.write_commands import write_step

__all__ = ["extract_lineage", "extract_training_lineage"]


def extract_lineage(plan: CapturedPlan) -> QueryLineage:
    """Inputs read, outputs written and, per written column, its sources and how.

    A query that writes nothing (``collect``, ``show``) has no outputs but still reports its
    inputs. Never raises on an unknown plan shape: unknown nodes answer conservatively and are
    listed in ``OutputDataset.conservative``.
    """
    if not plan.nodes:
        return QueryLineage(warnings=("empty plan",))
    resolver = PlanResolver(RULES, FALLBACK, plan.facts)
    ctx = resolver.ctx
    root = build_plan(plan.nodes)
    write_rule = WRITE_RULES.get(root.cls)
    written: WriteResult | None = None
    if write_rule is not None:
        for child in root.children:
            resolver.resolve(child)
        written = write_rule(root, ctx)
    elif _is_other_command(root):
        ctx.warn(f"{root.cls}: a command that writes no dataset")
    else:
        resolver.resolve(root)
    outputs = _outputs(written, ctx) if written is not None else ()
    lineage = QueryLineage(
        inputs=_inputs(ctx),
        outputs=outputs,
        warnings=tuple(ctx.warnings),
        write_step=write_step(plan.facts.get("write")),
    )
    return attach_versions(lineage, plan.facts)


def extract_training_lineage(
    plan: CapturedPlan, feature_columns: Sequence[str]
) -> tuple[QueryLineage, dict[str, tuple[str, ...]]]:
    """The inputs (with versions) of a training DataFrame's plan, and per input dataset key the
    columns the values of ``feature_columns`` (names of the DataFrame's columns) come from.

    Only DIRECT sources count (a filter's column decides which rows, it is no feature).
    """
    if not plan.nodes:
        return QueryLineage(warnings=("empty plan",)), {}
    resolver = PlanResolver(RULES, FALLBACK, plan.facts)
    ctx = resolver.ctx
    result = resolver.resolve(build_plan(plan.nodes))
    found: dict[str, set[str]] = {}
    for attr in pick_by_name(result.output, feature_columns):
        if attr is None:
            continue
        for source, subtype, _ in ctx.origins_of(attr.expr_id):
            if subtype.type is TransformationType.DIRECT:
                column = _column(ctx, source)
                found.setdefault(column.dataset.key, set()).add(column.name)
    lineage = QueryLineage(inputs=_inputs(ctx), warnings=tuple(ctx.warnings))
    sources = {key: tuple(sorted(names)) for key, names in found.items()}
    return attach_versions(lineage, plan.facts), sources


def _is_other_command(root: PlanNode) -> bool:
    return root.cls.endswith(("Command", "Exec")) or root.cls in _NON_QUERY_ROOTS


_NON_QUERY_ROOTS = frozenset(
    {
        "SetCatalogAndNamespace",
        "ShowTables",
        "DropTable",
        "CreateTable",
        "CreateView",
        "ShowColumns",
    }
)


def _inputs(ctx: LineageContext) -> tuple[InputDataset, ...]:
    return tuple(
        InputDataset(
            dataset=ctx.datasets[index],
            schema=tuple(SchemaField(n, t) for n, t in ctx.input_schemas[index].items()),
        )
        for index in ctx.inputs
    )


def _outputs(written: WriteResult, ctx: LineageContext) -> tuple[OutputDataset, ...]:
    schema = tuple(SchemaField(name, type_name(dtype)) for name, dtype, _ in written.columns)
    dependencies = tuple(
        (_column(ctx, source), transformation)
        for source, transformation in _merge(written.deps.flatten())
    )
    conservative = tuple(sorted(ctx.conservative))
    outputs = []
    for dataset in written.datasets:
        edges: list[ColumnEdge] = []
        fingerprints: dict[str, str] = {}
        for name, _, origins in written.columns:
            target = ColumnRef(dataset, name)
            own = [
                ColumnEdge(_column(ctx, source), target, transformation)
                for source, transformation in _merge(origins)
            ]
            edges.extend(own)
            fingerprints[name] = _fingerprint(own, ctx.written_expressions.get(name, ()))
        outputs.append(
            OutputDataset(
                dataset=dataset,
                schema=schema,
                edges=tuple(edges),
                dataset_dependencies=dependencies,
                write_mode=written.mode,
                conservative=conservative,
                column_fingerprints=fingerprints,
            )
        )
    return tuple(outputs)


def _fingerprint(edges: Iterable[ColumnEdge], expressions: Iterable[str]) -> str:
    """How this write computed one column: its sources (how each is used) and expressions."""
    sources = (
        (e.source.key, e.transformation.subtype.value, e.transformation.masking) for e in edges
    )
    return column_fingerprint(sources, expressions)


def _column(ctx: LineageContext, source: int) -> ColumnRef:
    dataset, name = ctx.sources[source]
    return ColumnRef(ctx.datasets[dataset], name)


def _merge(origins: Iterable[Origin]) -> list[tuple[int, Transformation]]:
    """One entry per (source, subtype), masked only if every path to it was masked; sorted."""
    masked: dict[tuple[int, TransformationSubtype], bool] = {}
    for source, subtype, was_masked in origins:
        key = (source, subtype)
        masked[key] = masked.get(key, True) and was_masked
    return [
        (source, Transformation(subtype, masking=masked[(source, subtype)]))
        for source, subtype in sorted(masked, key=lambda k: (k[0], k[1].value))
    ]
