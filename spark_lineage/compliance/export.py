"""``spark-lineage export``: the compliance report of a time window, with its manifest.

Two tables (see :mod:`.formats`): ``tagged_columns`` (every tagged source column of the scope and
every downstream column carrying its tag: clear, masked or indirect, with origin and path: the state
of the graph when the export ran) and ``activity`` (every finished run in the window, by its end
time, that read a tagged source or wrote a carrying column, with the version read or written).

Windows are half-open, ``[since, until)`` on ``Run.ended_at``; ``--since last`` starts at the
scope's stored watermark, so consecutive exports have no gap and no overlap. Files go to
``<out>/<scope>/<since>--<until>/`` (the same window always gets the same names: rerunning
replaces it atomically), under a lock (:mod:`.state`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_lineage.compliance.formats import (
    FORMATS,
    SUFFIX,
    TABLES,
    FormatError,
    Row,
    canonical,
    encode,
    parquet_available,
)
from spark_lineage.compliance.manifest import MANIFEST_NAME, MANIFEST_VERSION, sha256_text
from spark_lineage.compliance.propagation import PropagationReport, propagate_tags
from spark_lineage.compliance.queries import (
    ASSERTED_TAGS,
    EXPORT_ACTIVITY,
    EXPORT_ORIGIN_READERS,
    EXPORT_TAGGED_COLUMNS,
)
from spark_lineage.compliance.state import (
    DEFAULT_LATE_HORIZON_MS,
    Watermark,
    compact,
    current_ms,
    export_lock,
    iso,
    parse_time,
    read_ledger,
    read_watermark,
    write_ledger,
    write_watermark,
)
from spark_lineage.names import resolve_dataset
from spark_lineage.textui.progress import ProgressCallback

if TYPE_CHECKING:
    import neo4j

SOURCE = "source"

#: Characters kept in a directory name made from tags (no ``/``); longer names get a digest.
_UNSAFE = re.compile(r"[^A-Za-z0-9._:+-]+")
_MAX_READABLE = 100


def _readable(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_.")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class ExportScope:
    """What an export covers: some tags (None: all) and/or one dataset key (None: all)."""

    tags: tuple[str, ...] | None = None
    dataset: str | None = None

    @property
    def slug(self) -> str:
        """A directory name for the scope: stable, one path component, at most 170 characters.

        Valid short tag lists keep their readable name (``tag-pii+sensitive``); anything else
        (long lists, characters a tag may not hold) is shortened and made unique by a digest, so
        no tag text can name another directory or exceed the file system's name length.
        """
        parts = []
        if self.tags:
            joined = "+".join(sorted(self.tags))
            if len(joined) <= _MAX_READABLE and not _UNSAFE.search(joined):
                parts.append(f"tag-{joined}")
            else:
                parts.append(f"tag-{_readable(joined)[:_MAX_READABLE - 9]}-{_digest(joined)}")
        if self.dataset:
            readable = re.sub(r"[^A-Za-z0-9._-]+", "_", self.dataset.split("::")[-1]).strip("_")
            parts.append(f"dataset-{readable[-40:]}-{_digest(self.dataset)[:8]}")
        return "_".join(parts) or "all"

    def to_dict(self) -> dict[str, Any]:
        return {"tags": list(self.tags) if self.tags else None, "dataset": self.dataset}


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export: where, what, which window (``since_ms`` None means "from the watermark")."""

    out_dir: Path
    scope: ExportScope
    until_ms: int
    since_ms: int | None = None
    formats: tuple[str, ...] = FORMATS
    propagate: bool = True
    late_horizon_ms: int = DEFAULT_LATE_HORIZON_MS


@dataclass(frozen=True, slots=True)
class ExportResult:
    directory: Path
    manifest: Path
    since_ms: int
    until_ms: int
    rows: Mapping[str, int]
    runs: int
    watermark_moved: bool
    late_runs: int = 0
    propagation: PropagationReport | None = None
    files: tuple[str, ...] = field(default=())


def collect(
    session: neo4j.Session, scope: ExportScope, since_ms: int, until_ms: int
) -> dict[str, list[Row]]:
    """The two tables of an export, as canonical rows (sorted)."""
    columns = tagged_columns(session, scope)
    # Columns of one dataset written by the same jobs share one target: the runs are looked up
    # once per (access, dataset, jobs), not once per column.
    groups: dict[tuple[str, str, tuple[str, ...]], list[Row]] = {}
    for row in columns:
        if row["jobs"]:
            source = row["carry"] == SOURCE
            key = (
                "READ" if source else "WROTE",
                row["origin_dataset"] if source else row["dataset"],
                tuple(row["jobs"]),
            )
            groups.setdefault(key, []).append(row)
    keys = list(groups)
    targets = [
        {"id": index, "access": access, "dataset": dataset, "jobs": list(jobs)}
        for index, (access, dataset, jobs) in enumerate(keys)
    ]
    activity = [
        _activity_row(column, r)
        for r in session.run(EXPORT_ACTIVITY.text, targets=targets, since=since_ms, until=until_ms)
        for column in groups[keys[r["target"]]]
    ]
    activity.sort(
        key=lambda a: (
            a["run_ended_at"],
            a["run_id"],
            a["tag"],
            a["origin_column"],
            a["column"],
            a["access"],
        )
    )
    return {"tagged_columns": columns, "activity": canonical("activity", activity)}


def tagged_columns(session: neo4j.Session, scope: ExportScope) -> list[Row]:
    """Every tagged source of the scope (carry ``source``) and every column carrying its tag.

    A dataset scope keeps the rows whose column or origin is in the dataset, plus the source rows
    of their origins (an auditor looking at a table sees where its tagged data comes from).
    """
    tags = list(scope.tags) if scope.tags else None
    records = [
        dict(r)
        for r in session.run(EXPORT_TAGGED_COLUMNS.text, tags=tags, dataset_key=scope.dataset)
    ]
    sources: dict[tuple[str, str], set[str]] = {}
    origin_dataset: dict[str, str] = {}
    for r in session.run(ASSERTED_TAGS.text, tags=tags, source=None, assigned_by=None):
        sources.setdefault((r["tag"], r["column_key"]), set()).add(r["source"])
        origin_dataset[r["column_key"]] = r["dataset_key"]
    origins = {(r["tag"], r["origin"]) for r in records if (r["tag"], r["origin"]) in sources}
    readers = {
        r["column"]: sorted(r["jobs"])
        for r in session.run(EXPORT_ORIGIN_READERS.text, keys=sorted({o for _, o in origins}))
    }
    columns = [
        _source_row(tag, origin, origin_dataset[origin], sources[(tag, origin)], readers)
        for tag, origin in sorted(origins)
    ] + [
        _carrier_row(r, sources[(r["tag"], r["origin"])])
        for r in records
        if r["source"] == "propagated" and (r["tag"], r["origin"]) in sources
    ]
    return canonical("tagged_columns", sorted(columns, key=_column_order))


def _column_order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["tag"], row["origin_column"], row["carry"] != SOURCE, row["depth"], row["column"])


def _source_row(
    tag: str, origin: str, dataset: str, sources: set[str], readers: Mapping[str, list[str]]
) -> Row:
    return {
        "tag": tag,
        "origin_column": origin,
        "origin_dataset": dataset,
        "tag_sources": sorted(sources),
        "column": origin,
        "dataset": dataset,
        "column_name": origin[len(dataset) + 2 :],
        "carry": SOURCE,
        "depth": 0,
        "path": [origin],
        "path_jobs": [],
        "path_subtypes": [],
        "jobs": readers.get(origin, []),
    }


def _carrier_row(record: Mapping[str, Any], sources: set[str]) -> Row:
    return {
        "tag": record["tag"],
        "origin_column": record["origin"],
        "origin_dataset": record["origin_dataset"],
        "tag_sources": sorted(sources),
        "column": record["column"],
        "dataset": record["dataset"],
        "column_name": record["column_name"],
        "carry": record["carry"],
        "depth": record["depth"],
        "path": record["path"],
        "path_jobs": record["path_jobs"],
        "path_subtypes": record["path_subtypes"],
        "jobs": record["jobs"],
    }


def _activity_row(column: Row, run: Mapping[str, Any]) -> Row:
    return {
        "tag": column["tag"],
        "origin_column": column["origin_column"],
        "column": column["column"],
        "dataset": column["dataset"],
        "carry": column["carry"],
        "depth": column["depth"],
        "path": column["path"],
        "access": run["access"],
        "job": run["job"],
        "run_id": run["run_id"],
        "run_status": run["status"],
        "run_started_at": iso(run["started_at"]),
        "run_ended_at": iso(run["ended_at"]),
        "version": run["version"],
        "version_status": run["version_status"],
        "version_timestamp": iso(run["version_timestamp"]),
        "version_operation": run["version_operation"],
    }


def resolve_scope(
    driver: neo4j.Driver,
    tags: Sequence[str] | None,
    dataset: str | None,
    database: str | None = None,
) -> ExportScope:
    """The scope for user input (the dataset text resolved to its graph key)."""
    key = None
    if dataset:
        with driver.session(database=database) as session:
            key = resolve_dataset(session, dataset)
    return ExportScope(tuple(sorted(set(tags))) if tags else None, key)


def run_export(
    driver: neo4j.Driver,
    request: ExportRequest,
    database: str | None = None,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Propagate (unless told not to), collect, write files and manifest, move the watermark.

    ``progress`` hears (steps done, fraction done) after the propagation, the collection and
    each file written.
    """
    for fmt in request.formats:
        if fmt not in FORMATS:
            raise FormatError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if "parquet" in request.formats and not parquet_available():
        raise FormatError(
            "Parquet needs pyarrow: pip install 'spark-lineage[export]' (or choose other formats)"
        )
    scope_dir = _scope_dir(request.out_dir, request.scope)
    files_to_write = sum(
        1 for t in TABLES for f in request.formats if f != "openlineage" or t == "activity"
    )
    steps = _Steps(files_to_write + 2, progress)
    with export_lock(request.out_dir):
        mark = read_watermark(scope_dir)
        since_ms = request.since_ms
        if since_ms is None:
            since_ms = mark.until_ms if mark else 0
        if request.until_ms > current_ms():
            raise ValueError(
                f"until {iso(request.until_ms)} is in the future: runs ending before it may not "
                "have arrived yet, and the watermark would skip them"
            )
        if request.until_ms <= since_ms:
            raise ValueError(
                f"empty window: until {iso(request.until_ms)} is not after since {iso(since_ms)}"
            )
        report = None
        if request.propagate:
            report = propagate_tags(driver, database, request.scope.tags)
        steps.done()
        incremental = request.since_ms is None and mark is not None
        lookback = max(0, since_ms - request.late_horizon_ms) if incremental else since_ms
        with driver.session(database=database) as session:
            tables = collect(session, request.scope, lookback, request.until_ms)
        steps.done()
        ledger = read_ledger(scope_dir)
        tables["activity"], late_runs = _mark_arrivals(tables["activity"], since_ms, ledger)
        name = f"{compact(since_ms)}--{compact(request.until_ms)}"
        directory = scope_dir / name
        manifest_info = {
            "since_last": request.since_ms is None,
            "previous_manifest": mark.manifest if (mark and request.since_ms is None) else None,
            "propagation": _report_dict(report),
            "late_horizon_ms": request.late_horizon_ms if incremental else 0,
            "late_runs": late_runs,
        }
        files = _write_directory(
            scope_dir, name, tables, request, since_ms, manifest_info, steps.done
        )
        for row in tables["activity"]:
            ledger[row["run_id"]] = _ms(row["run_ended_at"])
        write_ledger(scope_dir, ledger, _keep_after(mark, request))
        moved = mark is None or since_ms <= mark.until_ms < request.until_ms
        if moved:
            write_watermark(scope_dir, Watermark(request.until_ms, f"{name}/{MANIFEST_NAME}"))
    return ExportResult(
        directory=directory,
        manifest=directory / MANIFEST_NAME,
        since_ms=since_ms,
        until_ms=request.until_ms,
        rows={table: len(rows) for table, rows in tables.items()},
        runs=len({row["run_id"] for row in tables["activity"]}),
        watermark_moved=moved,
        late_runs=late_runs,
        propagation=report,
        files=tuple(files),
    )


class _Steps:
    """Counts the steps of an export for its progress callback."""

    def __init__(self, total: int, progress: ProgressCallback | None) -> None:
        self._total, self._progress, self._done = total, progress, 0

    def done(self) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(self._done, self._done / self._total)


def _scope_dir(out_dir: Path, scope: ExportScope) -> Path:
    """``<out>/<scope slug>``, checked to be a direct child of ``out`` (nothing escapes it)."""
    scope_dir = out_dir / scope.slug
    if scope_dir.resolve().parent != out_dir.resolve():
        raise ValueError(f"export scope {scope.slug!r} would write outside {out_dir}")
    return scope_dir


def _mark_arrivals(
    activity: list[Row], since_ms: int, ledger: Mapping[str, int]
) -> tuple[list[Row], int]:
    """Rows of the window are ``on_time``; rows before it (the lookback) are ``late`` unless their
    run is in the ledger (already exported), in which case they are dropped."""
    kept, late = [], set()
    for row in activity:
        if _ms(row["run_ended_at"]) >= since_ms:
            kept.append({**row, "arrival": "on_time"})
        elif row["run_id"] not in ledger:
            kept.append({**row, "arrival": "late"})
            late.add(row["run_id"])
    return kept, len(late)


def _ms(text: str | None) -> int:
    assert text is not None  # finished runs only: the activity query requires an end time
    return parse_time(text)


def _keep_after(mark: Watermark | None, request: ExportRequest) -> int:
    """Ledger entries older than any future lookback can go."""
    newest = max(request.until_ms, mark.until_ms if mark else 0)
    return newest - request.late_horizon_ms


def _report_dict(report: PropagationReport | None) -> dict[str, int] | None:
    if report is None:
        return None
    return {
        "origins": report.origins,
        "propagated": report.propagated,
        "written": report.written,
        "removed": report.removed,
    }


def _write_directory(
    scope_dir: Path,
    name: str,
    tables: Mapping[str, list[Row]],
    request: ExportRequest,
    since_ms: int,
    info: Mapping[str, Any],
    file_written: Callable[[], None],
) -> list[str]:
    """Write every file into a temporary directory, then swap it in place of ``name``."""
    staging = scope_dir / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    entries = []
    for table, rows in tables.items():
        for fmt in request.formats:
            if fmt == "openlineage" and table != "activity":
                continue
            content = encode(table, fmt, rows)
            file_name = table + SUFFIX[fmt]
            (staging / file_name).write_bytes(content)
            file_written()
            count = len(content.splitlines()) if fmt == "openlineage" else len(rows)
            if fmt == "openlineage":
                count = sum(len(_tags_of(line)) for line in content.splitlines())
            entries.append(
                {
                    "path": file_name,
                    "table": table,
                    "format": fmt,
                    "rows": count,
                    "bytes": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
    manifest = _manifest(tables, request, since_ms, info, entries)
    text = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    (staging / MANIFEST_NAME).write_bytes(text)
    (staging / f"{MANIFEST_NAME}.sha256").write_text(
        f"{hashlib.sha256(text).hexdigest()}  {MANIFEST_NAME}\n"
    )
    for child in staging.iterdir():
        with child.open("rb") as handle:
            os.fsync(handle.fileno())
    final = scope_dir / name
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return [str(entry["path"]) for entry in entries]


def _tags_of(line: bytes) -> list[Any]:
    event = json.loads(line)
    return [
        tag
        for side in ("inputs", "outputs")
        for dataset in event[side]
        for tag in dataset["facets"]["spark_lineage_compliance"]["tags"]
    ]


def _manifest(
    tables: Mapping[str, list[Row]],
    request: ExportRequest,
    since_ms: int,
    info: Mapping[str, Any],
    files: list[dict[str, Any]],
) -> dict[str, Any]:
    params = {"since": since_ms, "until": request.until_ms, **request.scope.to_dict()}
    return {
        "manifest_version": MANIFEST_VERSION,
        "generator": "spark-lineage export",
        "window": {
            "since": iso(since_ms),
            "until": iso(request.until_ms),
            "since_ms": since_ms,
            "until_ms": request.until_ms,
            "bounds": "[since, until)",
            "time_field": "Run.ended_at (finished runs only)",
        },
        "scope": request.scope.to_dict(),
        "incremental": dict(info),
        "queries": [
            {"name": q.name, "sha256": sha256_text(q.text), "parameters": params}
            for q in (EXPORT_TAGGED_COLUMNS, ASSERTED_TAGS, EXPORT_ORIGIN_READERS, EXPORT_ACTIVITY)
        ],
        "tables": {
            table: {
                "rows": len(rows),
                "fields": [name for name, _ in TABLES[table]],
                **({"runs": len({r["run_id"] for r in rows})} if table == "activity" else {}),
            }
            for table, rows in tables.items()
        },
        "files": files,
    }
