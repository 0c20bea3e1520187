"""Planning a graph migration: from plain facts about the graph to every change, without a driver.

What is old, and what it becomes (see :mod:`spark_lineage.graph.migrate` for the whole story):

- a location-less ``spark_catalog::<table>`` dataset whose table exactly one located dataset has
  is a twin of it, and merges into it; with several candidates it is left alone (reported);
- an in-memory source not named after an application that uses it gets one copy per such
  application, named by :func:`~spark_lineage.job_names.scope_memory_dataset`;
- a job is old when its name is what the old agent built: ``<app>.<function>`` plus the
  squeezed name of one of its datasets (``<app name>.train.<model>`` for ``record_model``), where
  app and function are its runs' (with no run left: a three-part name ending in a dataset's
  squeezed name). Its new name is what :class:`~spark_lineage.job_names.JobNamer` gives the
  (migrated) dataset it writes, else its first input; one namer per application, fed first with
  the names the application's current jobs already have, then the old jobs in the order they
  first wrote (the order an agent would have met the outputs). Jobs that get the same name merge,
  as the current agent would have written them into one job.

Everything here is plain data in, plain data out, so it is tested without Neo4j.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from spark_lineage.dataset_names import CATALOG_NAMESPACE, MEMORY
from spark_lineage.graph.rows import job_key
from spark_lineage.job_names import (
    JobNamer,
    application_label,
    scope_memory_dataset,
    training_job_name,
)
from spark_lineage.model import DatasetRef, InputDataset, OutputDataset, QueryLineage

#: The function name the old agent used for ``record_model`` events (job ``<app>.train.<model>``).
_RECORD_MODEL = "record_model"

# --- facts read from the graph --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetFact:
    """A dataset as the graph has it; ``first_seen`` is that of the job link it came with."""

    key: str
    namespace: str
    name: str
    table: str | None = None
    format: str | None = None
    first_seen: int | None = None

    @property
    def ref(self) -> DatasetRef:
        return DatasetRef(self.namespace, self.name, self.format, self.table)

    @classmethod
    def of(cls, ref: DatasetRef, first_seen: int | None = None) -> DatasetFact:
        return cls(ref.key, ref.namespace, ref.name, ref.table, ref.format, first_seen)


@dataclass(frozen=True, slots=True)
class JobFact:
    """A job, its runs' application and function names, its datasets and recorded models."""

    key: str
    namespace: str
    name: str
    app_names: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()
    writes: tuple[DatasetFact, ...] = ()
    reads: tuple[DatasetFact, ...] = ()
    models: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MemoryFact:
    """An in-memory dataset and every job that uses it (reads it, has an edge on it...)."""

    key: str
    name: str
    jobs: tuple[str, ...]
    format: str | None = None


@dataclass(frozen=True, slots=True)
class GraphFacts:
    """What the planner needs to know about a graph."""

    tables: tuple[DatasetFact, ...] = ()
    memory: tuple[MemoryFact, ...] = ()
    jobs: tuple[JobFact, ...] = ()


# --- the plan -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetMerge:
    """A location-less twin (``source`` key) that merges into the located dataset ``target``."""

    source: str
    target: DatasetRef


@dataclass(frozen=True, slots=True)
class MemoryCopy:
    """One application's own copy of a shared in-memory source, and the jobs that move to it."""

    application: str
    dataset: DatasetRef
    jobs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemorySplit:
    """A shared in-memory source and the per-application copies it splits into."""

    source: str
    copies: tuple[MemoryCopy, ...]


@dataclass(frozen=True, slots=True)
class JobRename:
    """An old job (``source`` key) and the key it gets.

    ``merged``: another job has that key too (one that existed, ``target_existed``, or another
    renamed one), so they become one job. ``datasets`` are the (migrated) datasets the job
    writes: its edges end there.
    """

    source: str
    target: str
    namespace: str
    name: str
    datasets: tuple[str, ...] = ()
    merged: bool = False
    target_existed: bool = False


@dataclass(frozen=True, slots=True)
class LeftAlone:
    """Something that looks old but is not migrated, and why."""

    kind: str
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """Every change a migration makes, in the order it makes them."""

    dataset_merges: tuple[DatasetMerge, ...] = ()
    memory_splits: tuple[MemorySplit, ...] = ()
    job_renames: tuple[JobRename, ...] = ()
    left_alone: tuple[LeftAlone, ...] = ()

    @property
    def changes(self) -> int:
        return len(self.dataset_merges) + len(self.memory_splits) + len(self.job_renames)

    @property
    def jobs_merged(self) -> int:
        """Renamed jobs that became part of another job: the graph has that many jobs fewer."""
        created = {r.target for r in self.job_renames if not r.target_existed}
        return len(self.job_renames) - len(created)


# --- planning (pure) ------------------------------------------------------------------------------


def plan_migration(facts: GraphFacts, lake_root: str | None = None) -> MigrationPlan:
    """Every change that brings the graph described by ``facts`` to today's identities."""
    left_alone: list[LeftAlone] = []
    merges, survivors = _twin_merges(facts.tables, left_alone)
    applications = {job.key: _application(job) for job in facts.jobs}
    splits = _memory_splits(facts.memory, applications)
    scoped = {
        (split.source, job): copy.dataset
        for split in splits
        for copy in split.copies
        for job in copy.jobs
    }

    def migrated(dataset: DatasetFact, job: str) -> DatasetFact:
        """The dataset as it will be once datasets and in-memory sources are migrated."""
        survivor = survivors.get(dataset.key)
        if survivor is not None:
            return DatasetFact.of(survivor.ref, dataset.first_seen)
        copy = scoped.get((dataset.key, job))
        return dataset if copy is None else DatasetFact.of(copy, dataset.first_seen)

    renames = _job_renames(facts.jobs, applications, migrated, lake_root, left_alone)
    return MigrationPlan(tuple(merges), tuple(splits), tuple(renames), tuple(left_alone))


def _same_table(a: str, b: str) -> bool:
    """``default.t`` is ``default.t``; an unqualified ``t`` is ``<any database>.t``."""
    if "." not in a:
        return a == b or b.endswith("." + a)
    return a == b or ("." not in b and a.endswith("." + b))


def _twin_merges(
    tables: Iterable[DatasetFact], left_alone: list[LeftAlone]
) -> tuple[list[DatasetMerge], dict[str, DatasetFact]]:
    tables = list(tables)
    located = [
        d for d in tables if d.table and d.namespace not in (CATALOG_NAMESPACE, MEMORY)
    ]
    merges: list[DatasetMerge] = []
    survivors: dict[str, DatasetFact] = {}
    for twin in (d for d in tables if d.namespace == CATALOG_NAMESPACE):
        table = twin.table or twin.name
        matches = [d for d in located if _same_table(table, d.table or "")]
        if len(matches) == 1:
            merges.append(DatasetMerge(twin.key, matches[0].ref))
            survivors[twin.key] = matches[0]
        elif matches:
            keys = ", ".join(d.key for d in matches)
            left_alone.append(
                LeftAlone("dataset", twin.key, f"{len(matches)} located datasets are table "
                          f"{table}: {keys}")
            )
    return merges, survivors


def _application(job: JobFact) -> str:
    """The application label a job belongs to: its name starts with it, old name or new."""
    for app in job.app_names:
        label = application_label(app)
        if job.name.startswith(label + "."):
            return label
    return application_label(job.name.split(".", 1)[0])


def _application_of_key(key: str, applications: Mapping[str, str]) -> str:
    """The application of a job key, also for a key no job node has any more."""
    known = applications.get(key)
    if known is not None:
        return known
    name = key.split("::", 1)[-1]
    return application_label(name.split(".", 1)[0])


def _memory_splits(
    memory: Iterable[MemoryFact], applications: Mapping[str, str]
) -> list[MemorySplit]:
    splits: list[MemorySplit] = []
    for source in memory:
        jobs_by_app: dict[str, list[str]] = {}
        for job in source.jobs:
            jobs_by_app.setdefault(_application_of_key(job, applications), []).append(job)
        copies = []
        for app, jobs in sorted(jobs_by_app.items()):
            own = scope_memory_dataset(DatasetRef(MEMORY, source.name, source.format), app)
            if own.name != source.name:
                copies.append(MemoryCopy(app, own, tuple(sorted(jobs))))
        if copies:
            splits.append(MemorySplit(source.key, tuple(copies)))
    return splits


def _old_label(text: str) -> str:
    """How the old agent squeezed a name part (the same rule as the application label)."""
    return application_label(text)


def _dataset_labels(job: JobFact) -> set[str]:
    """The names the old agent may have put last in this job's name (its first dataset's)."""
    labels = set()
    for dataset in job.writes or job.reads:
        labels.add(_old_label(dataset.table or dataset.name))
        if dataset.table:  # a twin's table had no database; once merged, its survivor's has
            labels.add(_old_label(dataset.table.rsplit(".", 1)[-1]))
    return labels


def _old_model_job(job: JobFact) -> tuple[str, str] | None:
    """(application, model) when the job is an old ``<app name>.train.<model>`` one."""
    if _RECORD_MODEL not in job.functions:
        return None
    for app in job.app_names:
        for model in job.models:
            if job.name == f"{app}.train.{model}":
                return app, model
    return None


def _is_old_query_job(job: JobFact) -> bool:
    """The name is ``<app>.<function>[.<first dataset>]`` as the old agent built it."""
    parts = job.name.split(".", 2)
    if len(parts) < 2:
        return False
    if job.app_names:
        if parts[0] not in {application_label(a) for a in job.app_names}:
            return False
        if parts[1] not in {_old_label(f or "query") for f in job.functions}:
            return False
    elif len(parts) < 3:  # no run left to tell a function from a short name
        return False
    if len(parts) == 2:
        return not (job.writes or job.reads)
    return parts[2] in _dataset_labels(job)


def _first_written(job: JobFact) -> tuple[int, str]:
    seen = [d.first_seen for d in job.writes if d.first_seen is not None]
    return (min(seen) if seen else 2**63, job.key)


def _job_renames(
    jobs: Sequence[JobFact],
    applications: Mapping[str, str],
    migrated: Callable[[DatasetFact, str], DatasetFact],
    lake_root: str | None,
    left_alone: list[LeftAlone],
) -> list[JobRename]:
    """New names per (namespace, application), old jobs in the order they first wrote."""
    groups: dict[tuple[str, str], list[JobFact]] = {}
    for job in jobs:
        groups.setdefault((job.namespace, applications[job.key]), []).append(job)
    writes = {job.key: {migrated(d, job.key).key for d in job.writes} for job in jobs}
    existing = {job.key for job in jobs}
    planned: list[tuple[JobFact, str]] = []
    for (_, application), members in sorted(groups.items()):
        old = [j for j in members if _old_model_job(j) or _is_old_query_job(j)]
        current = [j for j in members if j not in old]
        namer = JobNamer(application, lake_root)
        for job in current:
            _remember(namer, job, application, migrated)
        for job in sorted(old, key=_first_written):
            name = _new_name(job, namer, migrated)
            if name != job.name:
                planned.append((job, name))
    renamed = {job.key for job, _ in planned}
    kept: list[tuple[JobFact, str]] = []
    for job, name in planned:
        if job_key(job.namespace, name) in renamed:  # that job is itself moving away: later
            left_alone.append(LeftAlone(
                "job", job.key, f"its new name {name} is the old name of another job, renamed "
                "now: run migrate again"))
        else:
            kept.append((job, name))
    targets = Counter(job_key(job.namespace, name) for job, name in kept)
    renames = []
    for job, name in kept:
        target = job_key(job.namespace, name)
        existed = target in existing
        renames.append(
            JobRename(
                job.key,
                target,
                job.namespace,
                name,
                datasets=tuple(sorted(writes[job.key])),
                merged=existed or targets[target] > 1,
                target_existed=existed,
            )
        )
    return renames


def _remember(
    namer: JobNamer,
    job: JobFact,
    application: str,
    migrated: Callable[[DatasetFact, str], DatasetFact],
) -> None:
    """A job named by the current agent keeps its output's short name: later ones avoid it."""
    prefix = application + "."
    if len(job.writes) == 1 and job.name.startswith(prefix):
        namer.remember(migrated(job.writes[0], job.key).ref, job.name[len(prefix) :])


def _new_name(
    job: JobFact, namer: JobNamer, migrated: Callable[[DatasetFact, str], DatasetFact]
) -> str:
    model = _old_model_job(job)
    if model is not None:
        return training_job_name(*model)
    outputs = sorted({migrated(d, job.key).ref for d in job.writes}, key=lambda d: d.key)
    if outputs:
        return namer.job_name(QueryLineage(outputs=tuple(OutputDataset(d) for d in outputs)))
    inputs = sorted({migrated(d, job.key).ref for d in job.reads}, key=lambda d: d.key)
    return namer.job_name(QueryLineage(inputs=tuple(InputDataset(d) for d in inputs)))
