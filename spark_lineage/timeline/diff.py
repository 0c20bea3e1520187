"""``spark-lineage diff A B``: what changed between two versions of one table or one model.

For two **table versions** it reports the inputs the writing runs read (which datasets and
versions changed), the columns added, removed or retyped, the columns whose lineage fingerprint
changed (the producing job computes them differently: other sources, transformation types or
expression text), and the commits after A up to B with their row and file counts, labels, notes
and authors.

For two **model versions** it reports the exact dataset versions each was trained on; for every
training input that moved to another version, the same table diff between those two versions
(so a new feature column and the MERGE that brought new rows both show); and the feature
columns, parameters and metrics that changed.

The facts come from the graph: each DatasetVersion a run wrote carries its column set with types
and fingerprints (``columns``, ``column_types``, ``column_fingerprints``). A version recorded
before those were stored has no column set; the diff says so rather than guessing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from spark_lineage.graph.rows import version_key
from spark_lineage.names.resolve import UnknownName
from spark_lineage.names.versions import ResolvedVersion, resolve_version
from spark_lineage.timeline.history import (
    HistoryEntry,
    dataset_entry,
    iso_time,
    json_map,
    metrics_text,
    notes_text,
    spelling,
)
from spark_lineage.timeline.queries import (
    DATASET_VERSION_FACTS,
    DATASET_VERSIONS_BETWEEN,
    MODEL_VERSION_FACTS,
)

if TYPE_CHECKING:
    import neo4j

#: The metrics of Delta commits that are added up over the commits between two versions.
TOTALLED_METRICS = (
    "numOutputRows",
    "numTargetRowsInserted",
    "numTargetRowsUpdated",
    "numTargetRowsDeleted",
    "numDeletedRows",
    "numUpdatedRows",
    "numAddedFiles",
    "numRemovedFiles",
    "numFiles",
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, slots=True)
class InputRef:
    """A dataset an output's run (or a model's training) read, with the exact version."""

    key: str
    name: str
    version: int | None


@dataclass(frozen=True, slots=True)
class VersionFacts:
    """What one version is made of, as the graph knows it. ``columns`` is None when the version
    was recorded without its column set; for a model it holds the feature columns."""

    version: ResolvedVersion
    columns: tuple[Column, ...] | None
    inputs: tuple[InputRef, ...]
    job_name: str | None = None
    run_id: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ColumnChanges:
    """Column differences; ``known`` False when one side has no recorded column set."""

    known: bool
    added: tuple[Column, ...] = ()
    removed: tuple[Column, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()  # (name, type before, type after)
    recomputed: tuple[str, ...] = ()  # lineage fingerprint changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.retyped or self.recomputed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "known": self.known,
            "added": [{"name": c.name, "type": c.type} for c in self.added],
            "removed": [{"name": c.name, "type": c.type} for c in self.removed],
            "retyped": [{"name": n, "before": a, "after": b} for n, a, b in self.retyped],
            "computed_differently": list(self.recomputed),
        }


@dataclass(frozen=True, slots=True)
class InputChange:
    """An input whose version differs between the two sides (None: not read on that side);
    for a version move, ``columns`` and ``commits`` tell what changed in it."""

    key: str
    name: str
    before: int | None
    after: int | None
    read_before: bool
    read_after: bool
    columns: ColumnChanges | None = None
    commits: tuple[HistoryEntry, ...] = ()
    upstream: tuple[InputChange, ...] = ()

    @property
    def kind(self) -> str:
        if not self.read_before:
            return "added"
        if not self.read_after:
            return "removed"
        return "changed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.key,
            "name": self.name,
            "change": self.kind,
            "before": self.before,
            "after": self.after,
            "columns": None if self.columns is None else self.columns.to_dict(),
            "commits": [entry.to_dict() for entry in self.commits],
            "commit_totals": commit_totals(self.commits),
            "upstream_changed": [item.to_dict() for item in self.upstream],
        }


@dataclass(frozen=True, slots=True)
class VersionDiff:
    before: VersionFacts
    after: VersionFacts
    inputs: tuple[InputChange, ...]
    unchanged_inputs: tuple[InputRef, ...]
    columns: ColumnChanges
    commits: tuple[HistoryEntry, ...]
    params: tuple[tuple[str, str | None, str | None], ...] = ()
    metrics: tuple[tuple[str, str | None, str | None], ...] = ()

    @property
    def target(self) -> str:
        return self.before.version.target

    @property
    def is_model(self) -> bool:
        return self.before.version.is_model

    def authors(self) -> list[str]:
        """Who made the commits between the two versions (and in the model's moved inputs)."""
        changes = [*self.inputs, *(up for change in self.inputs for up in change.upstream)]
        entries = [*self.commits, *(e for change in changes for e in change.commits)]
        return sorted({e.user for e in entries if e.user})

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "before": _side(self.before),
            "after": _side(self.after),
            "inputs_changed": [change.to_dict() for change in self.inputs],
            "inputs_unchanged": [
                {"dataset": i.key, "name": i.name, "version": i.version}
                for i in self.unchanged_inputs
            ],
            "features" if self.is_model else "columns": self.columns.to_dict(),
            "commits": [entry.to_dict() for entry in self.commits],
            "commit_totals": commit_totals(self.commits),
            "params": [{"name": n, "before": a, "after": b} for n, a, b in self.params],
            "metrics": [{"name": n, "before": a, "after": b} for n, a, b in self.metrics],
            "authors": self.authors(),
        }


def _side(facts: VersionFacts) -> dict[str, Any]:
    return {
        "version": facts.version.version,
        "label": facts.version.label,
        "job": facts.job_name,
        "run_id": facts.run_id,
    }


# --- reading the graph --------------------------------------------------------------------------


def diff(session: neo4j.Session, first: str, second: str) -> VersionDiff:
    """What changed from the version ``first`` names to the one ``second`` names."""
    a = resolve_version(session, first)
    b = resolve_version(session, second)
    if a.target != b.target:
        raise UnknownName(
            f"diff compares two versions of one table or model: {a.target} and {b.target} differ"
        )
    if a.is_model:
        return _model_diff(session, _model_facts(session, a), _model_facts(session, b))
    before, after = _dataset_facts(session, a), _dataset_facts(session, b)
    changes, unchanged = compare_inputs(before.inputs, after.inputs)
    detailed = tuple(
        _with_dataset_changes(session, change, upstream=False)
        for change in changes
        if change.key != a.target  # a MERGE reads its own target: that is the commits
    )
    return VersionDiff(
        before=before,
        after=after,
        inputs=detailed,
        unchanged_inputs=unchanged,
        columns=compare_columns(before.columns, after.columns),
        commits=_commits(session, a.target, int(a.version), int(b.version)),
    )


def _model_diff(session: neo4j.Session, before: VersionFacts, after: VersionFacts) -> VersionDiff:
    changes, unchanged = compare_inputs(before.inputs, after.inputs)
    detailed = tuple(_with_dataset_changes(session, change, upstream=True) for change in changes)
    return VersionDiff(
        before=before,
        after=after,
        inputs=detailed,
        unchanged_inputs=unchanged,
        columns=compare_columns(before.columns, after.columns),
        commits=(),
        params=compare_maps(before.params, after.params),
        metrics=compare_maps(before.metrics, after.metrics),
    )


def _with_dataset_changes(
    session: neo4j.Session, change: InputChange, *, upstream: bool
) -> InputChange:
    """An input that moved versions, with its own table diff between the two: its columns, the
    commits between, and (``upstream``) the inputs of its writing runs that moved, each with
    its commits (so a MERGE one step up shows with its counts)."""
    if change.before is None or change.after is None:
        return change
    sides = [
        session.run(DATASET_VERSION_FACTS.text, version_key=version_key(change.key, v)).single()
        for v in (change.before, change.after)
    ]
    old, new = (None if side is None else dict(side) for side in sides)
    columns = (
        compare_columns(_columns(old), _columns(new))
        if old is not None and new is not None
        else ColumnChanges(known=False)
    )
    moved: tuple[InputChange, ...] = ()
    if upstream and old is not None and new is not None:
        found, _ = compare_inputs(_inputs(old["inputs"]), _inputs(new["inputs"]))
        moved = tuple(
            _with_dataset_changes(session, item, upstream=False)
            for item in found
            if item.key != change.key  # a MERGE reads its own target: that is the commits
        )
    return replace(
        change,
        columns=columns,
        commits=_commits(session, change.key, change.before, change.after),
        upstream=moved,
    )


def _dataset_facts(session: neo4j.Session, version: ResolvedVersion) -> VersionFacts:
    row = dict(session.run(DATASET_VERSION_FACTS.text, version_key=version.key).single(strict=True))
    return VersionFacts(
        version=version,
        columns=_columns(row),
        inputs=_inputs(row["inputs"]),
        job_name=row["job_name"],
        run_id=row["run_id"],
    )


def _model_facts(session: neo4j.Session, version: ResolvedVersion) -> VersionFacts:
    row = dict(session.run(MODEL_VERSION_FACTS.text, version_key=version.key).single(strict=True))
    features = row["feature_columns"]
    return VersionFacts(
        version=version,
        columns=None if features is None else tuple(Column(str(name)) for name in features),
        inputs=_inputs(row["inputs"]),
        job_name=row["job_name"],
        run_id=row["run_id"],
        params=json_map(row["params"]),
        metrics=json_map(row["metrics"]),
    )


def _columns(row: Mapping[str, Any] | None) -> tuple[Column, ...] | None:
    if row is None or row.get("columns") is None:
        return None
    names = row["columns"]
    types = list(row.get("column_types") or [])
    prints = list(row.get("column_fingerprints") or [])
    return tuple(
        Column(
            str(name),
            str(types[i]) if i < len(types) and types[i] is not None else None,
            str(prints[i]) if i < len(prints) and prints[i] is not None else None,
        )
        for i, name in enumerate(names)
    )


def _inputs(rows: Sequence[Mapping[str, Any]]) -> tuple[InputRef, ...]:
    found = {
        (str(r["key"]), r["version"]): InputRef(
            str(r["key"]), spelling(r), None if r["version"] is None else int(r["version"])
        )
        for r in rows
    }
    return tuple(sorted(found.values(), key=lambda i: (i.key, i.version if i.version else -1)))


def _commits(
    session: neo4j.Session, dataset_key: str, first: int, second: int
) -> tuple[HistoryEntry, ...]:
    low, high = sorted((first, second))
    rows = session.run(DATASET_VERSIONS_BETWEEN.text, dataset_key=dataset_key, after=low, upto=high)
    return tuple(dataset_entry(dict(row)) for row in rows)


# --- comparing (pure) -----------------------------------------------------------------------------


def compare_columns(
    before: Sequence[Column] | None, after: Sequence[Column] | None
) -> ColumnChanges:
    """Columns added, removed, retyped and computed differently (fingerprint changed)."""
    if before is None or after is None:
        return ColumnChanges(known=False)
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    both = [name for name in new if name in old]
    return ColumnChanges(
        known=True,
        added=tuple(new[name] for name in new if name not in old),
        removed=tuple(old[name] for name in old if name not in new),
        retyped=tuple(
            (name, str(old[name].type), str(new[name].type))
            for name in both
            if old[name].type and new[name].type and old[name].type != new[name].type
        ),
        recomputed=tuple(
            name
            for name in both
            if old[name].fingerprint
            and new[name].fingerprint
            and old[name].fingerprint != new[name].fingerprint
        ),
    )


def compare_inputs(
    before: Sequence[InputRef], after: Sequence[InputRef]
) -> tuple[tuple[InputChange, ...], tuple[InputRef, ...]]:
    """(inputs whose version changed or that one side did not read, inputs read unchanged).

    A dataset read at several versions on one side (a MERGE reads its own target) is compared
    by its newest version read."""
    old = _newest_by_key(before)
    new = _newest_by_key(after)
    changes: list[InputChange] = []
    unchanged: list[InputRef] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and a.version == b.version:
            unchanged.append(b)
            continue
        seen = b if b is not None else a
        changes.append(
            InputChange(
                key,
                seen.name if seen is not None else key,
                None if a is None else a.version,
                None if b is None else b.version,
                read_before=a is not None,
                read_after=b is not None,
            )
        )
    return tuple(changes), tuple(unchanged)


def _newest_by_key(inputs: Sequence[InputRef]) -> dict[str, InputRef]:
    newest: dict[str, InputRef] = {}
    for item in inputs:
        seen = newest.get(item.key)
        if seen is None or (item.version or -1) > (seen.version or -1):
            newest[item.key] = item
    return newest


def compare_maps(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[tuple[str, str | None, str | None], ...]:
    """(name, before, after) for every key whose value differs (None: absent on that side)."""
    return tuple(
        (key, before.get(key), after.get(key))
        for key in sorted(before.keys() | after.keys())
        if before.get(key) != after.get(key)
    )


def commit_totals(entries: Sequence[HistoryEntry]) -> dict[str, int]:
    """Delta's row and file counts added up over some commits (only the counts they report)."""
    totals: dict[str, int] = {}
    for entry in entries:
        for key in TOTALLED_METRICS:
            value = entry.metrics.get(key)
            if value is not None and value.lstrip("-").isdigit():
                totals[key] = totals.get(key, 0) + int(value)
    return totals


# --- output ---------------------------------------------------------------------------------------


def format_diff(result: VersionDiff, fmt: str) -> str:
    """``table`` (sections for a person) or ``json`` (every field)."""
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2) + "\n"
    lines = [f"diff {_name(result.before)} -> {_name(result.after)}"]
    if not result.is_model:
        lines.append(f"written by: {_writer(result.before)} -> {_writer(result.after)}")
    lines.append("trained on:" if result.is_model else "inputs:")
    lines.extend(_input_lines(result))
    lines.append("features:" if result.is_model else "columns:")
    lines.extend("  " + line for line in _column_lines(result.columns))
    if result.is_model:
        lines.extend(_map_lines("params", result.params))
        lines.extend(_map_lines("metrics", result.metrics))
    else:
        lines.extend(
            _commit_lines(
                result.commits,
                int(result.before.version.version),
                int(result.after.version.version),
                indent="",
            )
        )
    authors = result.authors()
    lines.append(f"authors: {', '.join(authors) if authors else 'none recorded'}")
    return "\n".join(lines) + "\n"


def _name(facts: VersionFacts) -> str:
    label = f" ({facts.version.label})" if facts.version.label else ""
    return f"{facts.version.spelling}{label}"


def _writer(facts: VersionFacts) -> str:
    if facts.job_name is None:
        return "no recorded run"
    run = f" (run {facts.run_id[:8]})" if facts.run_id else ""
    return f"job {facts.job_name}{run}"


def _version(number: int | None) -> str:
    return "-" if number is None else f"v{number}"


def _input_lines(result: VersionDiff) -> list[str]:
    if not result.inputs and not result.unchanged_inputs:
        return ["  none recorded"]
    lines: list[str] = []
    for change in result.inputs:
        lines.append(
            f"  {change.kind:<9} {change.name}  {_version(change.before)} -> "
            f"{_version(change.after)}"
        )
        if change.columns is not None:
            lines.extend("      " + line for line in _column_lines(change.columns))
        lines.extend(_change_detail_lines(change, "      "))
    lines.extend(
        f"  {'unchanged':<9} {item.name}  {_version(item.version)}"
        for item in result.unchanged_inputs
    )
    return lines


def _change_detail_lines(change: InputChange, indent: str) -> list[str]:
    """The commits between an input's two versions, then the inputs upstream of it that moved."""
    lines: list[str] = []
    if change.before is not None and change.after is not None and change.commits:
        lines.extend(_commit_lines(change.commits, change.before, change.after, indent=indent))
    for item in change.upstream:
        lines.append(
            f"{indent}upstream {item.kind} {item.name}  {_version(item.before)} -> "
            f"{_version(item.after)}"
        )
        lines.extend(_change_detail_lines(item, indent + "  "))
    return lines


def _column_lines(changes: ColumnChanges) -> list[str]:
    if not changes.known:
        return ["column set not recorded for one of the versions"]
    if changes.empty:
        return ["no change"]
    lines: list[str] = []
    if changes.added:
        lines.append("added: " + ", ".join(_typed(c) for c in changes.added))
    if changes.removed:
        lines.append("removed: " + ", ".join(_typed(c) for c in changes.removed))
    if changes.retyped:
        lines.append("retyped: " + ", ".join(f"{n} {a} -> {b}" for n, a, b in changes.retyped))
    if changes.recomputed:
        lines.append("computed differently: " + ", ".join(changes.recomputed))
    return lines


def _typed(column: Column) -> str:
    return f"{column.name} ({column.type})" if column.type else column.name


def _commit_lines(
    entries: Sequence[HistoryEntry], first: int, second: int, *, indent: str
) -> list[str]:
    low, high = sorted((first, second))
    lines = [f"{indent}commits after v{low} up to v{high}: {len(entries)}"]
    for entry in entries:
        when = (iso_time(entry.timestamp_ms) or "").replace("T", " ").removesuffix("Z")
        counts = metrics_text(entry.metrics)
        notes = notes_text(entry)
        parts = [
            f"v{entry.version}",
            when,
            entry.operation or "?",
            *([counts] if counts else []),
            *([f"by {entry.user}"] if entry.user else []),
            *([notes] if notes else []),
        ]
        lines.append(f"{indent}  " + "  ".join(p for p in parts if p))
    totals = commit_totals(entries)
    if len(entries) > 1 and totals:
        shown = metrics_text({k: str(v) for k, v in totals.items()})
        lines.append(f"{indent}  total: {shown}")
    return lines


def _map_lines(title: str, changes: Sequence[tuple[str, str | None, str | None]]) -> list[str]:
    if not changes:
        return [f"{title}: no change"]
    shown = ", ".join(
        f"{n} {a if a is not None else '-'} -> {b if b is not None else '-'}" for n, a, b in changes
    )
    return [f"{title}: {shown}"]
