"""The export manifest: what an auditor needs to check that an export is complete and untouched.

``manifest.json`` records the time window, the scope and the queries (name, SHA-256 of the Cypher
text, parameters), the row counts per table, and for every file its format, rows, size and
SHA-256; ``manifest.json.sha256`` holds the manifest's own digest in ``sha256sum`` format.
:func:`verify_manifest` checks all of it again, and that the formats hold the same rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_lineage.compliance.formats import (
    TABULAR_FORMATS,
    FormatError,
    activity_key,
    activity_keys_from_openlineage,
    read_rows,
)

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of :func:`verify_manifest`: every problem found (none means verified)."""

    manifest: Path
    files_checked: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def load_manifest(path: Path) -> dict[str, Any]:
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"manifest {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"manifest {path} is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"manifest {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("manifest_version") != MANIFEST_VERSION:
        raise ValueError(f"{path} is not a spark-lineage export manifest (version 1)")
    return data


def verify_manifest(path: Path) -> Verification:
    """Check every file (present, size, SHA-256, row count) and that all formats agree."""
    manifest_path = path / MANIFEST_NAME if path.is_dir() else path
    data = load_manifest(manifest_path)
    base = manifest_path.parent
    problems: list[str] = []
    _check_self_digest(manifest_path, problems)
    rows_by_table: dict[str, dict[str, list[dict[str, Any]]]] = {}
    ol_keys: list[Any] | None = None
    files = data.get("files", [])
    for entry in files:
        file_path = base / entry["path"]
        if file_path.resolve().parent != base.resolve():
            problems.append(f"{entry['path']}: outside the export directory")
            continue
        if not file_path.exists():
            problems.append(f"{entry['path']}: missing")
            continue
        if file_path.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']}: size {file_path.stat().st_size} != {entry['bytes']}")
        if sha256_file(file_path) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 does not match")
            continue
        try:
            if entry["format"] in TABULAR_FORMATS:
                rows = read_rows(entry["table"], entry["format"], file_path)
                rows_by_table.setdefault(entry["table"], {})[entry["format"]] = rows
                count = len(rows)
            else:
                ol_keys = activity_keys_from_openlineage(file_path)
                count = len(ol_keys)
        except (FormatError, ValueError, KeyError) as exc:
            problems.append(f"{entry['path']}: cannot be read back ({exc})")
            continue
        if count != entry["rows"]:
            problems.append(f"{entry['path']}: {count} rows, manifest says {entry['rows']}")
    _check_agreement(data, rows_by_table, ol_keys, problems)
    return Verification(manifest_path, len(files), tuple(problems))


def _check_self_digest(manifest_path: Path, problems: list[str]) -> None:
    digest_path = manifest_path.with_name(manifest_path.name + ".sha256")
    if not digest_path.exists():
        problems.append(f"{digest_path.name}: missing")
        return
    expected = digest_path.read_text().split()[0] if digest_path.read_text().strip() else ""
    if expected != sha256_file(manifest_path):
        problems.append(f"{manifest_path.name}: SHA-256 does not match {digest_path.name}")


def _check_agreement(
    data: Mapping[str, Any],
    rows_by_table: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    ol_keys: list[Any] | None,
    problems: list[str],
) -> None:
    for table, by_format in rows_by_table.items():
        declared = data.get("tables", {}).get(table, {}).get("rows")
        formats = sorted(by_format)
        reference = by_format[formats[0]]
        if declared is not None and len(reference) != declared:
            problems.append(f"table {table}: {len(reference)} rows, manifest says {declared}")
        for other in formats[1:]:
            if by_format[other] != reference:
                problems.append(f"table {table}: {other} and {formats[0]} files differ")
    activity = next(iter(rows_by_table.get("activity", {}).values()), None)
    if (
        ol_keys is not None
        and activity is not None
        and (sorted(activity_key(r) for r in activity) != ol_keys)
    ):
        problems.append("openlineage events and the activity table differ")
