"""``spark-lineage migrate``: rewrite a graph built by earlier agents into today's identities.

Agents up to commit 665031d wrote three kinds of identity that the current one does not:

1. **Dataset twins.** The inner write of a Delta ``saveAsTable`` / ``CREATE OR REPLACE TABLE AS
   SELECT`` (into the staged table, which has no location yet) gave a catalog table a second,
   location-less dataset ``spark_catalog::<table>`` beside the located one whose ``table`` is the
   same. Each twin merges into the located dataset when exactly one has its table name.
2. **Jobs per function, with machine paths**: ``<app>.<function>.<squeezed output path>``
   (``enrich.overwrite.enriched``, ``churn.command.tmp_lake_clean_customers``). Each becomes
   ``<application>.<short output name>`` as :class:`~spark_lineage.job_names.JobNamer` names it
   today (``<application>.read.<input>`` when it writes nothing, ``<application>.train.<model>``
   for ``record_model``); jobs that land on the same name merge.
3. **Shared in-memory sources**: ``memory::range/<hash>`` was one node for every application.
   Each application that uses it gets its own ``memory::<application>/range/<hash>`` with its
   own relationships and edges.

Jobs named by the current agent, or by hand, are never renamed: a job is old only when its name
is exactly what the old agent built from its runs and datasets. The changes are planned first,
as plain data, from facts read off the graph (:mod:`spark_lineage.graph.migrate_plan`), then
applied phase by phase -- datasets, in-memory sources, jobs -- in batched transactions
(:func:`apply_plan`): each statement moves at most ``batch_size`` relationships. Every step is
idempotent and the plan is made from what the graph holds, so a second run finds nothing to do
and a run after an interrupted one finishes the rest. Aggregated edges that become one edge
combine as the writer combines deliveries: first/last seen outward, run counts added without the
run ids both edges remember (docs/graph.md). Nothing is deleted while anything but tags still
refers to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spark_lineage.dataset_names import CATALOG_NAMESPACE, MEMORY
from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.migrate_plan import (
    DatasetFact,
    GraphFacts,
    JobFact,
    JobRename,
    MemoryFact,
    MigrationPlan,
    plan_migration,
)
from spark_lineage.graph.queries import (
    MIGRATE_COPY_TAGS,
    MIGRATE_DELETE_DATASET,
    MIGRATE_ENSURE_DATASET,
    MIGRATE_ENSURE_JOB,
    MIGRATE_FINISH_JOB,
    MIGRATE_JOBS,
    MIGRATE_MEMORY_DATASETS,
    MIGRATE_MOVE_FEEDS_DATASET_IN,
    MIGRATE_MOVE_FEEDS_DATASET_OUT,
    MIGRATE_MOVE_FEEDS_IN,
    MIGRATE_MOVE_FEEDS_OUT,
    MIGRATE_MOVE_READ,
    MIGRATE_MOVE_READS,
    MIGRATE_MOVE_RUNS,
    MIGRATE_MOVE_TRAINED_ON_DATASET,
    MIGRATE_MOVE_VERSIONS,
    MIGRATE_MOVE_WRITES,
    MIGRATE_MOVE_WROTE,
    MIGRATE_REJOB_FEEDS,
    MIGRATE_REJOB_FEEDS_DATASET,
    MIGRATE_REJOB_STRAY_FEEDS,
    MIGRATE_REJOB_STRAY_FEEDS_DATASET,
    MIGRATE_TABLE_DATASETS,
    Query,
)
from spark_lineage.graph.schema import ensure_schema
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.model import DatasetRef

if TYPE_CHECKING:
    import neo4j

#: Relationships moved per transaction.
BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What a migration did (or, in a dry run, would do)."""

    plan: MigrationPlan
    dry_run: bool
    relationships_moved: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "dry_run": self.dry_run,
            "changes": plan.changes,
            "counts": {
                "datasets_merged": len(plan.dataset_merges),
                "jobs_renamed": len(plan.job_renames),
                "jobs_merged": plan.jobs_merged,
                "memory_sources_split": len(plan.memory_splits),
                "memory_copies": sum(len(s.copies) for s in plan.memory_splits),
                "left_alone": len(plan.left_alone),
            },
            "datasets_merged": [
                {"from": m.source, "to": m.target.key} for m in plan.dataset_merges
            ],
            "memory_sources_split": [
                {"from": s.source, "to": [c.dataset.key for c in s.copies]}
                for s in plan.memory_splits
            ],
            "jobs_renamed": [
                {"from": r.source, "to": r.target, "merged": r.merged} for r in plan.job_renames
            ],
            "left_alone": [
                {"kind": a.kind, "key": a.key, "reason": a.reason} for a in plan.left_alone
            ],
            "relationships_moved": self.relationships_moved,
            **self.extra,
        }


# --- reading the facts ----------------------------------------------------------------------------


def read_facts(session: neo4j.Session) -> GraphFacts:
    """The facts :func:`plan_migration` needs, read in three queries."""
    tables = tuple(
        DatasetFact(r["key"], r["namespace"], r["name"], r["table"], r["format"])
        for r in session.run(MIGRATE_TABLE_DATASETS.text, catalog_namespace=CATALOG_NAMESPACE)
    )
    memory = tuple(
        MemoryFact(r["key"], r["name"], tuple(sorted(r["jobs"])), r["format"])
        for r in session.run(MIGRATE_MEMORY_DATASETS.text, memory_namespace=MEMORY)
    )
    jobs = tuple(
        JobFact(
            key=r["key"],
            namespace=r["namespace"] or r["key"].split("::", 1)[0],
            name=r["name"] or r["key"].split("::", 1)[-1],
            app_names=tuple(sorted(r["app_names"])),
            functions=tuple(sorted(r["functions"])),
            writes=tuple(_dataset_fact(d) for d in r["writes"]),
            reads=tuple(_dataset_fact(d) for d in r["reads"]),
            models=tuple(sorted(r["models"])),
        )
        for r in session.run(MIGRATE_JOBS.text)
    )
    return GraphFacts(tables, memory, jobs)


def _dataset_fact(row: Mapping[str, Any]) -> DatasetFact:
    return DatasetFact(
        row["key"], row["namespace"], row["name"], row["table"], row["format"], row["first_seen"]
    )


# --- applying the plan ----------------------------------------------------------------------------

#: Everything that hangs off a dataset, moved by (source, target, jobs): edges first, so that the
#: columns are complete on both sides while edges between them move.
_DATASET_MOVES: tuple[Query, ...] = (
    MIGRATE_MOVE_FEEDS_OUT,
    MIGRATE_MOVE_FEEDS_IN,
    MIGRATE_MOVE_FEEDS_DATASET_OUT,
    MIGRATE_MOVE_FEEDS_DATASET_IN,
    MIGRATE_MOVE_READ,
    MIGRATE_MOVE_WROTE,
    MIGRATE_MOVE_READS,
    MIGRATE_MOVE_WRITES,
    MIGRATE_MOVE_TRAINED_ON_DATASET,
)


class _Mover:
    """Runs the move statements in batched transactions and counts what they moved."""

    def __init__(self, session: neo4j.Session, batch_size: int) -> None:
        self.session = session
        self.batch_size = batch_size
        self.moved = 0

    def once(self, query: Query, **params: Any) -> int:
        count = self.session.execute_write(_run_counted, query, params)
        self.moved += count
        return count

    def repeat(self, query: Query, **params: Any) -> None:
        """Until a batch comes back short: each statement moves at most ``batch_size``."""
        while self.once(query, batch_size=self.batch_size, **params) >= self.batch_size:
            pass

    def move_dataset(self, source: str, target: DatasetRef, jobs: Sequence[str] | None) -> None:
        """Everything of ``source`` (or only what belongs to ``jobs``) onto ``target``."""
        ends = {"source_key": source, "target_key": target.key}
        self.session.execute_write(
            _run_counted,
            MIGRATE_ENSURE_DATASET,
            {"source_key": source, "target": _dataset_row(target)},
        )
        for query in _DATASET_MOVES:
            self.repeat(query, jobs=None if jobs is None else list(jobs), **ends)
        self.session.execute_write(_run_counted, MIGRATE_COPY_TAGS, ends)
        if jobs is None:
            self.repeat(MIGRATE_MOVE_VERSIONS, **ends)
        self.session.execute_write(_run_counted, MIGRATE_DELETE_DATASET, {"source_key": source})

    def rename_job(self, rename: JobRename) -> None:
        ends = {"source_key": rename.source, "target_key": rename.target}
        self.session.execute_write(
            _run_counted,
            MIGRATE_ENSURE_JOB,
            {**ends, "namespace": rename.namespace, "name": rename.name},
        )
        datasets = list(rename.datasets)
        self.repeat(MIGRATE_REJOB_FEEDS, datasets=datasets, **ends)
        self.repeat(MIGRATE_REJOB_FEEDS_DATASET, datasets=datasets, **ends)
        self.repeat(MIGRATE_MOVE_RUNS, **ends)
        self.session.execute_write(_run_counted, MIGRATE_FINISH_JOB, ends)

    def rejob_strays(self, renames: Sequence[JobRename]) -> None:
        """Edges of renamed jobs that do not end at a dataset the job writes (normally none)."""
        mapping = {r.source: r.target for r in renames}
        params = {"source_keys": sorted(mapping), "renames": mapping}
        self.repeat(MIGRATE_REJOB_STRAY_FEEDS, **params)
        self.repeat(MIGRATE_REJOB_STRAY_FEEDS_DATASET, **params)


def _run_counted(tx: neo4j.ManagedTransaction, query: Query, params: Mapping[str, Any]) -> int:
    record = tx.run(query.text, **params).single()
    return int(record[0]) if record is not None and record[0] is not None else 0


def _dataset_row(dataset: DatasetRef) -> dict[str, Any]:
    return {"key": dataset.key, "namespace": dataset.namespace, "name": dataset.name}


def apply_plan(
    driver: neo4j.Driver,
    plan: MigrationPlan,
    *,
    database: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Make the plan's changes (datasets, in-memory sources, then jobs); relationships moved."""
    with driver.session(database=database) as session:
        mover = _Mover(session, batch_size)
        for merge in plan.dataset_merges:
            mover.move_dataset(merge.source, merge.target, None)
        for split in plan.memory_splits:
            for copy in split.copies:
                mover.move_dataset(split.source, copy.dataset, copy.jobs)
        for rename in plan.job_renames:
            mover.rename_job(rename)
        if plan.job_renames:
            mover.rejob_strays(plan.job_renames)
        return mover.moved


def migrate(
    driver: neo4j.Driver,
    *,
    database: str | None = None,
    dry_run: bool = False,
    lake_root: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> MigrationReport:
    """Plan the migration from the graph's current state and, unless ``dry_run``, apply it."""
    with driver.session(database=database) as session:
        facts = read_facts(session)
    plan = plan_migration(facts, lake_root)
    if dry_run or not plan.changes:
        return MigrationReport(plan, dry_run)
    ensure_schema(driver, database)
    moved = apply_plan(driver, plan, database=database, batch_size=batch_size)
    return MigrationReport(plan, dry_run, moved)


def migrate_graph(
    settings: Neo4jSettings, *, dry_run: bool = False, lake_root: str | None = None
) -> MigrationReport:
    """``spark-lineage migrate``: connect and migrate."""
    with open_driver(settings) as driver:
        return migrate(driver, database=settings.database, dry_run=dry_run, lake_root=lake_root)


def format_report(report: MigrationReport) -> str:
    """A short human summary: the counts, then one line per change and per thing left alone."""
    plan = report.plan
    verb = "would " if report.dry_run else ""
    head = "migrate (dry run, nothing changed)" if report.dry_run else "migrate"
    if not plan.changes:
        lines = [f"{head}: nothing to change"]
    else:
        lines = [
            f"{head}: {verb}merge {len(plan.dataset_merges)} location-less dataset twin(s), "
            f"{verb}split {len(plan.memory_splits)} shared in-memory source(s) into "
            f"{sum(len(s.copies) for s in plan.memory_splits)}, {verb}rename "
            f"{len(plan.job_renames)} job(s) ({plan.jobs_merged} merged into another)"
        ]
    lines += [f"  dataset {m.source} -> {m.target.key}" for m in plan.dataset_merges]
    lines += [
        f"  memory  {s.source} -> {', '.join(c.dataset.key for c in s.copies)}"
        for s in plan.memory_splits
    ]
    lines += [
        f"  job     {r.source} -> {r.target}{' (merged)' if r.merged else ''}"
        for r in plan.job_renames
    ]
    lines += [f"  left alone: {a.kind} {a.key}: {a.reason}" for a in plan.left_alone]
    tags = report.extra.get("tags_propagated")
    if tags:
        lines.append(
            f"migrate: propagated tags recomputed ({tags['written']} written, "
            f"{tags['removed']} removed)"
        )
    return "\n".join(lines) + "\n"
