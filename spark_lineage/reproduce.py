"""Which jobs and exact input versions built a table version or a model, recursively.

``spark-lineage reproduce <table>@<version>`` (or ``model:<name>@<version>``) walks the graph
backwards one level at a time: the run that wrote the version, the dataset versions that run
read, the runs that wrote those, and so on down to raw sources. Every level is one batched,
parameterised query, so the walk costs ``depth`` round trips whatever the fan-out. The result is
a tree, printed readably or as JSON, with the time-travel reads a user would run to rebuild it.

An input with no version (parquet, CSV) held whatever was last written to it before the run
read it: the walk follows it to the last successful run that wrote it before the reading run
started, and on through that run's inputs. That is the best answer the graph has, not a
guarantee (something outside Spark may have changed the files), so such a step is labelled
"last write before the run", and its data cannot be read again as it was.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TextIO

from spark_lineage.graph.connection import open_driver
from spark_lineage.graph.rows import version_key
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.names import location
from spark_lineage.names.versions import resolve_version
from spark_lineage.reproduce_queries import (
    MODEL_INPUTS,
    REPRODUCE_LAST_WRITE_STEP,
    REPRODUCE_VERSION_STEP,
)

if TYPE_CHECKING:
    import neo4j

#: Default and hard bound on how many producing levels are followed.
DEFAULT_DEPTH = 10
MAX_DEPTH = 50


class ReproduceError(ValueError):
    """The text does not name a known dataset version or model."""


@dataclass(frozen=True, slots=True)
class InputVersion:
    """One dataset a producing run read, with the version it read (or why it is not known)."""

    dataset_key: str
    location: str
    table: str | None
    format: str | None
    version: int | None
    version_status: str
    candidates: tuple[int, ...] = ()
    produced_by: ProducedVersion | None = None

    def time_travel_read(self) -> str | None:
        """The PySpark read that returns exactly this input again (None when not versioned)."""
        if self.version is None:
            return None
        if self.table:
            return f'spark.read.option("versionAsOf", {self.version}).table({_literal(self.table)})'
        return (
            f'spark.read.format("delta").option("versionAsOf", {self.version})'
            f".load({_literal(self.location)})"
        )

    @property
    def traceable(self) -> bool:
        """A known version, or a recorded run that wrote it before it was read."""
        return self.version is not None or self.produced_by is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset_key,
            "location": self.location,
            "table": self.table,
            "format": self.format,
            "version": self.version,
            "version_status": self.version_status,
            "candidates": list(self.candidates),
            "read": self.time_travel_read(),
            "produced_by": self.produced_by.to_dict() if self.produced_by else None,
        }


def _literal(text: str) -> str:
    """``text`` as a Python string literal that reads back as ``text`` (a JSON string is one), so
    a pasted read works for paths with quotes or backslashes and cannot run code of its own."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ProducedVersion:
    """A dataset version (or model) and the run that produced it, with that run's inputs."""

    key: str
    label: str
    version: str | None
    operation: str | None
    job_name: str | None
    run_id: str | None
    app_name: str | None
    started_at: int | None
    inputs: tuple[InputVersion, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "version": self.version,
            "operation": self.operation,
            "job": self.job_name,
            "run_id": self.run_id,
            "app_name": self.app_name,
            "started_at": self.started_at,
            "inputs": [i.to_dict() for i in self.inputs],
        }

    def leaves(self) -> list[InputVersion]:
        """Where a rebuild starts: inputs no recorded run wrote, and inputs whose producing run
        read nothing it can be traced through (an ingest of generated, in-memory or external
        data), since their inputs cannot be read again as they were.
        """
        found: list[InputVersion] = []
        for item in self.inputs:
            producer = item.produced_by
            if producer is None or not any(i.traceable for i in producer.inputs):
                found.append(item)
            else:
                found.extend(producer.leaves())
        return found


def reproduce(
    driver: neo4j.Driver,
    text: str,
    *,
    depth: int = DEFAULT_DEPTH,
    database: str | None = None,
) -> ProducedVersion:
    """The tree of runs and exact input versions behind ``<dataset>@<v>`` or ``model:<n>@<v>``
    (a version number or a label; see :mod:`spark_lineage.names.versions`)."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ReproduceError(f"--depth must be between 1 and {MAX_DEPTH}, not {depth}")
    with driver.session(database=database) as session:
        root = resolve_version(session, text)
        if root.is_model:
            model = _model_root(session, root.key)
            return replace(model, inputs=_expand_inputs(session, model, depth))
        return _expand(session, [root.key], {}, depth)[root.key]


def _model_root(session: neo4j.Session, model_key: str) -> ProducedVersion:
    record = session.run(MODEL_INPUTS.text, model_key=model_key).single(strict=True)
    return ProducedVersion(
        key=str(record["key"]),
        label=f"model {record['name']}@{record['version']}",
        version=str(record["version"]),
        operation="TRAIN",
        job_name=record["job_name"],
        run_id=record["run_id"],
        app_name=record["app_name"],
        started_at=record["recorded_at"],
        inputs=tuple(_input(row) for row in record["inputs"]),
    )


def _expand(
    session: neo4j.Session,
    versions: Sequence[str],
    reads: Mapping[str, tuple[str, int]],
    depth: int,
) -> dict[str, ProducedVersion]:
    """Producing runs of ``versions`` (version keys) and of ``reads`` (read key -> dataset key and
    the time its reader started), with their inputs expanded ``depth - 1`` further levels."""
    levels: list[dict[str, ProducedVersion]] = []
    version_frontier = list(dict.fromkeys(versions))
    read_frontier = dict(reads)
    seen: set[str] = set()
    for _ in range(depth):
        if not version_frontier and not read_frontier:
            break
        seen.update(version_frontier, read_frontier)
        level = _step(session, version_frontier) if version_frontier else {}
        level.update(_last_write_step(session, read_frontier) if read_frontier else {})
        levels.append(level)
        version_frontier, read_frontier = [], {}
        for produced in level.values():
            versions_read, unversioned = _to_follow(produced.inputs, produced.started_at)
            version_frontier += [k for k in versions_read if k not in seen]
            read_frontier.update((k, v) for k, v in unversioned.items() if k not in seen)
        version_frontier = list(dict.fromkeys(version_frontier))
    # Fold the levels bottom-up so that each input points at what produced it.
    resolved: dict[str, ProducedVersion] = {}
    for level in reversed(levels):
        for key, produced in level.items():
            inputs = _link(produced.inputs, resolved, produced.started_at)
            resolved[key] = replace(produced, inputs=inputs)
    wanted = [*versions, *reads]
    return {key: resolved[key] for key in wanted if key in resolved}


def _expand_inputs(
    session: neo4j.Session, root: ProducedVersion, depth: int
) -> tuple[InputVersion, ...]:
    versions, reads = _to_follow(root.inputs, root.started_at)
    produced = _expand(session, versions, reads, depth) if versions or reads else {}
    return _link(root.inputs, produced, root.started_at)


def _to_follow(
    inputs: Sequence[InputVersion], before: int | None
) -> tuple[list[str], dict[str, tuple[str, int]]]:
    """What a run's inputs lead to (the run started at ``before``): the version keys of its
    versioned inputs, and its unversioned reads (read key -> dataset key and ``before``)."""
    versions: list[str] = []
    reads: dict[str, tuple[str, int]] = {}
    for item in inputs:
        key = _input_version_key(item)
        read = _read_key(item, before)
        if key is not None:
            versions.append(key)
        elif read is not None and before is not None:
            reads[read] = (item.dataset_key, before)
    return versions, reads


def _step(session: neo4j.Session, keys: Sequence[str]) -> dict[str, ProducedVersion]:
    """One level: for each version key the run that wrote it and what that run read."""
    found: dict[str, ProducedVersion] = {}
    for record in session.run(REPRODUCE_VERSION_STEP.text, version_keys=list(keys)):
        key = str(record["version_key"])
        if key in found and record["run_id"] is None:
            continue
        found[key] = _produced(
            record, key, f"@v{record['version']}", str(record["version"]), record["operation"]
        )
    return found


def _last_write_step(
    session: neo4j.Session, reads: Mapping[str, tuple[str, int]]
) -> dict[str, ProducedVersion]:
    """One level for unversioned reads: the last run that wrote each dataset before its read."""
    rows = [
        {"key": key, "dataset_key": dataset_key, "before": before}
        for key, (dataset_key, before) in reads.items()
    ]
    found: dict[str, ProducedVersion] = {}
    for record in session.run(REPRODUCE_LAST_WRITE_STEP.text, reads=rows):
        key, mode = str(record["read_key"]), record["mode"]
        suffix = " (not versioned: last write before the run)"
        found[key] = _produced(record, key, suffix, None, str(mode).upper() if mode else "WRITE")
    return found


def _produced(
    record: Mapping[str, Any], key: str, suffix: str, version: str | None, operation: str | None
) -> ProducedVersion:
    """A producing run as a step query returns it, labelled by its dataset and ``suffix``."""
    where = location(record["namespace"], record["name"])
    return ProducedVersion(
        key=key,
        label=f"{record['table_name'] or where}{suffix}",
        version=version,
        operation=operation,
        job_name=record["job_name"],
        run_id=record["run_id"],
        app_name=record["app_name"],
        started_at=record["started_at"],
        inputs=tuple(_input(row) for row in record["inputs"] or ()),
    )


def _input(row: Mapping[str, Any]) -> InputVersion:
    version = row.get("version")
    status = row.get("version_status") or ("exact" if version is not None else "unversioned")
    return InputVersion(
        dataset_key=str(row["dataset_key"]),
        location=location(row.get("namespace"), row.get("name")),
        table=row.get("table"),
        format=row.get("format"),
        version=None if version is None else int(version),
        version_status=str(status),
        candidates=tuple(int(c) for c in row.get("candidates") or ()),
    )


def _input_version_key(item: InputVersion) -> str | None:
    return None if item.version is None else version_key(item.dataset_key, item.version)


def _read_key(item: InputVersion, before: int | None) -> str | None:
    """The key of an unversioned read made at ``before``: followed to the last write before it.
    In-memory data is never written by a run, and an ambiguous Delta version is not followed."""
    if item.version is not None or item.version_status != "unversioned" or before is None:
        return None
    if item.dataset_key.startswith("memory::"):
        return None
    return f"{item.dataset_key}@before:{before}"


def _link(
    inputs: Sequence[InputVersion], produced: Mapping[str, ProducedVersion], before: int | None
) -> tuple[InputVersion, ...]:
    linked = []
    for item in inputs:
        key = _input_version_key(item) or _read_key(item, before)
        source = produced.get(key) if key else None
        has_run = source is not None and source.run_id is not None
        linked.append(replace(item, produced_by=source if has_run else None))
    return tuple(linked)


# --- output ---------------------------------------------------------------------------------------


def format_tree(root: ProducedVersion) -> str:
    """A readable tree, then the time-travel reads of its direct and of its raw inputs."""
    lines = [_headline(root)]
    _tree_lines(root, "", lines)
    for title, items in (
        ("Read exactly what it was built from:", root.inputs),
        ("Or rebuild the whole chain from the raw inputs at these versions:", root.leaves()),
    ):
        reads = _reads(items)
        if reads:
            lines += ["", title, *(f"  {read}" for read in reads)]
    return "\n".join(lines)


def _reads(items: Sequence[InputVersion]) -> list[str]:
    reads: list[str] = []
    for item in items:
        read = item.time_travel_read() or f"# {item.location}: {_status_text(item)}"
        if read not in reads:
            reads.append(read)
    return reads


def format_json(root: ProducedVersion) -> str:
    payload = root.to_dict()
    payload["raw_inputs"] = [leaf.to_dict() for leaf in root.leaves()]
    return json.dumps(payload, indent=2, sort_keys=True, default=str)


def _headline(produced: ProducedVersion) -> str:
    if produced.run_id is None:
        return f"{produced.label}  (no recorded run wrote it: a raw source)"
    job = produced.job_name or "?"
    operation = f" {produced.operation}" if produced.operation else ""
    return f"{produced.label}  <-{operation} by job {job} (run {produced.run_id})"


def _tree_lines(produced: ProducedVersion, indent: str, lines: list[str]) -> None:
    for index, item in enumerate(produced.inputs):
        last = index == len(produced.inputs) - 1
        branch = "└── " if last else "├── "
        child_indent = indent + ("    " if last else "│   ")
        label = item.table or item.location
        version = f"@v{item.version}" if item.version is not None else f" ({_status_text(item)})"
        if item.produced_by is None:
            lines.append(f"{indent}{branch}{label}{version}  [{_leaf_text(item)}]")
        else:
            lines.append(f"{indent}{branch}{_headline(item.produced_by)}")
            _tree_lines(item.produced_by, child_indent, lines)


def _leaf_text(item: InputVersion) -> str:
    """Why the tree stops at ``item``."""
    if item.dataset_key.startswith("memory::"):
        return "in-memory data of the job"
    if item.version is None:
        return "not versioned, and no recorded run wrote it before the run read it"
    return "source: no recorded run wrote it"


def _status_text(item: InputVersion) -> str:
    if item.version_status == "ambiguous":
        return f"version ambiguous between {', '.join(map(str, item.candidates))}"
    if item.version_status == "unversioned":
        return "not versioned"
    return f"version {item.version_status}"


def run_reproduce(
    settings: Neo4jSettings, target: str, *, depth: int, fmt: str, out: TextIO | None = None
) -> int:
    """The ``reproduce`` command: print the tree (``text``) or the JSON document."""
    with open_driver(settings) as driver:
        root = reproduce(driver, target, depth=depth, database=settings.database)
    text = format_json(root) if fmt == "json" else format_tree(root)
    (out or sys.stdout).write(text + "\n")
    return 0
