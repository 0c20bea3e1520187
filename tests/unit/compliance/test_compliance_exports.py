"""Export files without Neo4j: every format round-trips, the manifest catches every alteration,
the watermark and lock make scheduled runs safe."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spark_lineage.compliance.export import ExportScope
from spark_lineage.compliance.formats import (
    FORMATS,
    SUFFIX,
    TABULAR_FORMATS,
    activity_key,
    activity_keys_from_openlineage,
    canonical,
    encode,
    openlineage_events,
    read_rows,
)
from spark_lineage.compliance.manifest import verify_manifest
from spark_lineage.compliance.state import (
    LockedError,
    Watermark,
    compact,
    export_lock,
    iso,
    parse_time,
    read_ledger,
    read_watermark,
    write_ledger,
    write_watermark,
)

EMAIL = "file::/lake/customers::email"
HASH = "file::/lake/report::email_hash"


def activity_row(run_id: str, column: str, carry: str, access: str, **extra: Any) -> dict[str, Any]:
    dataset = column.rsplit("::", 1)[0]
    return {
        "tag": "pii",
        "origin_column": EMAIL,
        "column": column,
        "dataset": dataset,
        "carry": carry,
        "depth": 0 if carry == "source" else 1,
        "path": [EMAIL] if carry == "source" else [EMAIL, column],
        "access": access,
        "job": "spark::nightly.report",
        "run_id": run_id,
        "run_status": "COMPLETE",
        "run_started_at": "2026-01-01T00:00:00.000Z",
        "run_ended_at": "2026-01-01T00:05:00.000Z",
        "version": 3 if access == "WROTE" else None,
        "version_status": "exact" if access == "WROTE" else None,
        "version_timestamp": None,
        "version_operation": "WRITE" if access == "WROTE" else None,
        **extra,
    }


ACTIVITY = canonical(
    "activity",
    [
        activity_row("0b1c", EMAIL, "source", "READ"),
        activity_row("0b1c", HASH, "masked", "WROTE", version_operation='MERGE, "quoted"\nline'),
        activity_row("7f00", HASH, "masked", "WROTE", version=None, version_status="unknown"),
    ],
)


def write_export(directory: Path, rows: list[dict[str, Any]] = ACTIVITY) -> Path:
    """A minimal export directory: the activity table in every format, and its manifest."""
    files = []
    for fmt in FORMATS:
        content = encode("activity", fmt, rows)
        name = "activity" + SUFFIX[fmt]
        (directory / name).write_bytes(content)
        files.append(
            {
                "path": name,
                "table": "activity",
                "format": fmt,
                "rows": len(rows),
                "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
    manifest = json.dumps(
        {"manifest_version": 1, "tables": {"activity": {"rows": len(rows)}}, "files": files}
    ).encode()
    (directory / "manifest.json").write_bytes(manifest)
    (directory / "manifest.json.sha256").write_text(
        hashlib.sha256(manifest).hexdigest() + "  manifest.json\n"
    )
    return directory / "manifest.json"


@pytest.mark.parametrize("fmt", TABULAR_FORMATS)
def test_every_tabular_format_reads_back_to_the_same_rows(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"activity{SUFFIX[fmt]}"
    path.write_bytes(encode("activity", fmt, ACTIVITY))
    assert read_rows("activity", fmt, path) == ACTIVITY


def test_encoding_is_byte_stable_for_the_same_rows() -> None:
    for fmt in FORMATS:
        assert encode("activity", fmt, ACTIVITY) == encode("activity", fmt, list(ACTIVITY))


def test_openlineage_has_one_event_per_run_with_reads_as_inputs_and_writes_as_outputs() -> None:
    events = openlineage_events(ACTIVITY)
    assert [e["run"]["runId"] for e in events] == ["0b1c", "7f00"]
    first = events[0]
    assert first["eventType"] == "COMPLETE"
    assert first["job"] == {"namespace": "spark", "name": "nightly.report", "facets": {}}
    assert [(d["namespace"], d["name"]) for d in first["inputs"]] == [("file", "/lake/customers")]
    output = first["outputs"][0]
    assert output["facets"]["version"]["datasetVersion"] == "3"
    assert output["facets"]["spark_lineage_compliance"]["tags"] == [
        {
            "column": "email_hash",
            "tag": "pii",
            "origin": EMAIL,
            "carry": "masked",
            "depth": 1,
            "path": [EMAIL, HASH],
        }
    ]
    assert "version" not in events[1]["outputs"][0]["facets"]


def test_openlineage_events_list_exactly_the_activity_rows(tmp_path: Path) -> None:
    path = tmp_path / "activity.openlineage.jsonl"
    path.write_bytes(encode("activity", "openlineage", ACTIVITY))
    assert activity_keys_from_openlineage(path) == sorted(activity_key(r) for r in ACTIVITY)


def test_a_complete_export_verifies(tmp_path: Path) -> None:
    outcome = verify_manifest(write_export(tmp_path))
    assert outcome.ok and outcome.files_checked == len(FORMATS)


def test_verify_reports_a_changed_a_missing_and_a_truncated_file(tmp_path: Path) -> None:
    manifest = write_export(tmp_path)
    (tmp_path / "activity.json").write_text("[]\n")
    (tmp_path / "activity.csv").unlink()
    parquet = tmp_path / "activity.parquet"
    parquet.write_bytes(parquet.read_bytes()[:-10])

    problems = verify_manifest(manifest).problems

    assert "activity.csv: missing" in problems
    assert any(p.startswith("activity.json: size") for p in problems)
    assert any(p.startswith("activity.parquet: SHA-256") for p in problems)


def test_verify_catches_formats_that_disagree_even_with_matching_digests(tmp_path: Path) -> None:
    manifest = write_export(tmp_path)
    other = ACTIVITY[:2]
    content = encode("activity", "json", other)
    (tmp_path / "activity.json").write_bytes(content)
    data = json.loads(manifest.read_text())
    for entry in data["files"]:
        if entry["format"] == "json":
            entry.update(rows=2, bytes=len(content), sha256=hashlib.sha256(content).hexdigest())
    text = json.dumps(data).encode()
    manifest.write_bytes(text)
    (tmp_path / "manifest.json.sha256").write_text(hashlib.sha256(text).hexdigest() + "  m\n")

    problems = verify_manifest(manifest).problems

    assert any("files differ" in p for p in problems)


def test_verify_catches_an_edited_manifest(tmp_path: Path) -> None:
    manifest = write_export(tmp_path)
    manifest.write_text(manifest.read_text().replace('"rows": 3', '"rows": 4', 1))
    problems = verify_manifest(manifest).problems
    assert "manifest.json: SHA-256 does not match manifest.json.sha256" in problems


def test_the_manifest_digest_file_is_sha256sum_compatible(tmp_path: Path) -> None:
    write_export(tmp_path)
    check = subprocess.run(
        ["sha256sum", "-c", "manifest.json.sha256"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


# --- time, watermark, lock ------------------------------------------------------------------------


def test_times_parse_as_utc_and_print_back_exactly() -> None:
    assert parse_time("2026-11-26") == 1_795_651_200_000
    assert parse_time("2026-11-26T10:00:00+01:00") == parse_time("2026-11-26T09:00:00Z")
    assert parse_time("now", now_ms=42) == 42
    assert iso(1_795_651_200_123) == "2026-11-26T00:00:00.123Z"
    assert compact(1_795_651_200_123) == "20261126T000000.123Z"
    with pytest.raises(ValueError, match="invalid time"):
        parse_time("yesterday")


def test_the_watermark_round_trips_and_is_absent_at_first(tmp_path: Path) -> None:
    assert read_watermark(tmp_path) is None
    write_watermark(tmp_path, Watermark(1234, "a--b/manifest.json"))
    assert read_watermark(tmp_path) == Watermark(1234, "a--b/manifest.json")
    assert [p.name for p in tmp_path.iterdir()] == ["watermark.json"]


def test_a_damaged_watermark_stops_the_export_instead_of_guessing(tmp_path: Path) -> None:
    (tmp_path / "watermark.json").write_text("{")
    with pytest.raises(ValueError, match="damaged watermark"):
        read_watermark(tmp_path)


def test_a_second_holder_of_the_lock_fails_fast_even_from_another_process(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from spark_lineage.compliance.state import export_lock, LockedError\n"
        "try:\n    with export_lock(Path(sys.argv[1])): print('got it')\n"
        "except LockedError: print('locked')\n"
    )
    with export_lock(tmp_path):
        with (
            pytest.raises(LockedError, match="another export is running"),
            export_lock(tmp_path),
        ):
            pass
        other = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert other.stdout.strip() == "locked"
    after = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert after.stdout.strip() == "got it"


def test_scope_directories_are_stable_and_file_system_safe() -> None:
    assert ExportScope().slug == "all"
    assert ExportScope(("sensitive", "pii")).slug == "tag-pii+sensitive"
    slug = ExportScope(None, "s3://bucket::warehouse/orders v2").slug
    assert slug.startswith("dataset-warehouse_orders_v2-") and "/" not in slug
    assert slug == ExportScope(None, "s3://bucket::warehouse/orders v2").slug


@pytest.mark.parametrize(
    "tags",
    [
        ("x/../../../outside",),
        ("..",),
        ("a/b", "c\x00d"),
        tuple(f"{i}{'t' * 60}" for i in range(5)),  # five valid 61-character tags
    ],
)
def test_a_tag_scope_is_always_one_short_directory_name(tags: tuple[str, ...]) -> None:
    slug = ExportScope(tags).slug
    assert "/" not in slug and "\x00" not in slug and slug.startswith("tag-")
    assert len(slug) <= 170
    assert slug != ExportScope(("other",)).slug
    assert slug == ExportScope(tuple(reversed(tags))).slug, "the same tags name the same scope"


def test_the_ledger_keeps_only_runs_a_future_lookback_can_see(tmp_path: Path) -> None:
    assert read_ledger(tmp_path) == {}
    write_ledger(tmp_path, {"old": 100, "edge": 500, "new": 900}, keep_after_ms=500)
    assert read_ledger(tmp_path) == {"edge": 500, "new": 900}
