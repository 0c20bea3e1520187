"""Job identity: the application, and per output ``<application>.<short output name>``.

A job must be the same job every time its application runs, in any write mode, on any machine
and under any lake root, so that the graph adds runs to it rather than new jobs:

- the application is ``spark.app.name`` (or the ``spark.lineage.application`` setting), squeezed
  to letters, digits and ``_``; it is the parent job of every query-level job;
- a query that writes is named after its output: the catalog table name when it has one
  (``default.customers``), else the path relative to the configured lake root
  (``clean/customers``), else the shortest suffix of the path that no other output of the
  application seen so far shares (``customers``; a second ``b/x/customers`` becomes
  ``b/x/customers``, so two outputs never share a job);
- a query that writes nothing is ``<application>.read.<short name of its first input>``;
- a model recorded with ``record_model`` is ``<application>.train.<model name>``.

Neither the write mode nor the command class nor the machine's absolute path is ever part of a
name. In-memory sources are scoped to their application (:func:`scope_memory_sources`): stable
between its runs, never shared with another application.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import replace

from spark_lineage.dataset_names import MEMORY, split_location
from spark_lineage.model import ColumnRef, DatasetRef, OutputDataset, QueryLineage

_NAME_JUNK = re.compile(r"[^0-9A-Za-z_]+")


def application_label(app_name: str) -> str:
    """Lower-case the application name and squeeze everything but letters/digits into ``_``."""
    return _NAME_JUNK.sub("_", app_name).strip("_").lower() or "unnamed"


class JobNamer:
    """Names the query-level jobs of one application; remembers the outputs it has named.

    Thread-safe; one per agent (the application). The memory is what keeps path suffixes unique
    within the application; a run that writes the same outputs in the same order gets the same
    names, and a lake root makes names independent of order altogether.
    """

    def __init__(self, application: str, lake_root: str | None = None) -> None:
        self.application = application_label(application)
        self._root = split_location(lake_root) if lake_root else None
        self._names: dict[str, str] = {}
        self._paths: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def job_name(self, lineage: QueryLineage) -> str:
        outputs = sorted((o.dataset for o in lineage.outputs), key=lambda d: d.key)
        if outputs:
            return f"{self.application}.{self.short_name(outputs[0])}"
        inputs = [i.dataset for i in lineage.inputs]
        if inputs:
            return f"{self.application}.read.{self.short_name(inputs[0], remember=False)}"
        return f"{self.application}.read"

    def short_name(self, dataset: DatasetRef, remember: bool = True) -> str:
        """The dataset's name inside the application, without the machine's absolute path."""
        if dataset.table:
            return dataset.table
        if dataset.namespace == MEMORY:  # already scoped: the application is the job's prefix
            return dataset.name.removeprefix(self.application + "/")
        relative = self._under_root(dataset)
        if relative is not None:
            return relative
        with self._lock:
            known = self._names.get(dataset.key)
            if known is not None:
                return known
            segments = _segments(dataset.name)
            name = _shortest_unique_suffix(segments, self._paths.values(), self._names.values())
            if remember:
                self._names[dataset.key] = name
                self._paths[dataset.key] = segments
            return name

    def remember(self, dataset: DatasetRef, short_name: str) -> None:
        """Take ``short_name`` as the dataset's name, as an earlier run of the application gave it.

        Later outputs then avoid it, as they would had this namer named the dataset itself (the
        graph migration feeds in the names jobs already have). A dataset named by its table, its
        application (in-memory) or the lake root has nothing to remember.
        """
        if dataset.table or dataset.namespace == MEMORY or self._under_root(dataset) is not None:
            return
        with self._lock:
            self._names[dataset.key] = short_name
            self._paths[dataset.key] = _segments(dataset.name)

    def _under_root(self, dataset: DatasetRef) -> str | None:
        if self._root is None:
            return None
        namespace, root = self._root
        if dataset.namespace != namespace:
            return None
        prefix = root.rstrip("/") + "/"
        if dataset.name.startswith(prefix) and len(dataset.name) > len(prefix):
            return dataset.name[len(prefix) :].strip("/")
        return None


def _segments(name: str) -> tuple[str, ...]:
    return tuple(part for part in name.split("/") if part) or ("root",)


def _shortest_unique_suffix(
    segments: tuple[str, ...], others: Iterable[tuple[str, ...]], taken: Iterable[str]
) -> str:
    """The shortest tail of ``segments`` that is the tail of no other path and no name in use."""
    other_paths = list(others)
    used = set(taken)
    for length in range(1, len(segments) + 1):
        tail = segments[-length:]
        name = "/".join(tail)
        if name in used:
            continue
        if not any(len(p) >= length and p[-length:] == tail for p in other_paths):
            return name
    return "/".join(segments)


def training_job_name(application: str, model_name: str) -> str:
    """The job of the models ``record_model`` records: ``<application>.train.<model name>``."""
    return f"{application_label(application)}.train.{model_name}"


def scope_memory_dataset(dataset: DatasetRef, application: str) -> DatasetRef:
    """An in-memory source as ``<application>/<kind>/<schema hash>``; other datasets unchanged."""
    prefix = application_label(application) + "/"
    if dataset.namespace != MEMORY or dataset.name.startswith(prefix):
        return dataset
    return replace(dataset, name=prefix + dataset.name)


def scope_memory_sources(lineage: QueryLineage, application: str) -> QueryLineage:
    """In-memory sources renamed ``<application>/<kind>/<schema hash>``: never shared."""
    label = application_label(application)

    def scoped(dataset: DatasetRef) -> DatasetRef:
        return scope_memory_dataset(dataset, label)

    def column(ref: ColumnRef) -> ColumnRef:
        return ref if ref.dataset.namespace != MEMORY else replace(ref, dataset=scoped(ref.dataset))

    def output(out: OutputDataset) -> OutputDataset:
        return replace(
            out,
            edges=tuple(replace(e, source=column(e.source)) for e in out.edges),
            dataset_dependencies=tuple((column(c), t) for c, t in out.dataset_dependencies),
        )

    return replace(
        lineage,
        inputs=tuple(replace(i, dataset=scoped(i.dataset)) for i in lineage.inputs),
        outputs=tuple(output(o) for o in lineage.outputs),
    )
