"""What makes exports safe to schedule: time parsing, the stored watermark and the run lock.

- The watermark (``<out>/<scope>/watermark.json``) is the ``until`` of the last *successful*
  export of a scope; ``--since last`` starts there, so consecutive windows are contiguous,
  half-open ``[since, until)``: no gap, no overlap. It is replaced atomically (write, fsync,
  rename) only after the export's files and manifest are in place.
- The ledger (``<out>/<scope>/exported_runs.tsv``) lists the runs already exported (with their end
  time, kept for the late horizon). An incremental export also looks back ``late_horizon`` before
  its window for runs that ended there but reached the graph only after the previous export (a
  spool replay after an outage): those not in the ledger are exported once, marked ``late``.
- The lock (``<out>/.export.lock``, ``flock``) makes a second export into the same directory fail
  fast with :data:`EXIT_LOCKED` instead of overlapping; the kernel drops it if a run dies.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

#: Exit status when another export holds the lock (EX_TEMPFAIL: "try again later").
EXIT_LOCKED = 75

LOCK_NAME = ".export.lock"
WATERMARK_NAME = "watermark.json"
LEDGER_NAME = "exported_runs.tsv"

#: How far back an incremental export looks for runs that arrived late (spool replay, outage).
DEFAULT_LATE_HORIZON_MS = 7 * 24 * 3_600_000


class LockedError(RuntimeError):
    """Another export is running against the same output directory."""


def parse_time(text: str, now_ms: int | None = None) -> int:
    """Epoch ms of ``now``, an ISO date (UTC midnight), an ISO date-time (UTC if naive)."""
    if text == "now":
        return now_ms if now_ms is not None else current_ms()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid time {text!r}: use YYYY-MM-DD, an ISO date-time (UTC unless an offset is "
            "given) or 'now'"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def current_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    """Epoch ms as an ISO-8601 UTC string with milliseconds (``2026-11-26T09:00:00.000Z``)."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def compact(ms: int) -> str:
    """Epoch ms for file names: ``20261126T090000.000Z`` (sorts as time, no ':' in it)."""
    text = iso(ms)
    assert text is not None
    return re.sub(r"[-:]", "", text)


@dataclass(frozen=True, slots=True)
class Watermark:
    until_ms: int
    manifest: str


def read_watermark(scope_dir: Path) -> Watermark | None:
    path = scope_dir / WATERMARK_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
        return Watermark(int(data["until_ms"]), str(data["manifest"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"damaged watermark {path}: {exc}") from exc


def write_watermark(scope_dir: Path, mark: Watermark) -> None:
    data = {"until_ms": mark.until_ms, "until": iso(mark.until_ms), "manifest": mark.manifest}
    write_atomic(scope_dir / WATERMARK_NAME, json.dumps(data, indent=2).encode() + b"\n")


def read_ledger(scope_dir: Path) -> dict[str, int]:
    """Run id -> end time (ms) of every run an export of this scope already contains."""
    path = scope_dir / LEDGER_NAME
    if not path.exists():
        return {}
    ledger = {}
    for line in path.read_text().splitlines():
        run_id, _, ended = line.partition("\t")
        if run_id and ended:
            ledger[run_id] = int(ended)
    return ledger


def write_ledger(scope_dir: Path, ledger: dict[str, int], keep_after_ms: int) -> None:
    """Store the ledger, dropping runs that ended before ``keep_after_ms`` (out of any lookback)."""
    lines = sorted(
        f"{run_id}\t{ended}" for run_id, ended in ledger.items() if ended >= keep_after_ms
    )
    write_atomic(scope_dir / LEDGER_NAME, "".join(line + "\n" for line in lines).encode())


def write_atomic(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` so that readers see the old or the new file, never half."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@contextmanager
def export_lock(out_dir: Path) -> Iterator[IO[str]]:
    """Hold the output directory's lock for the block; :class:`LockedError` if already held."""
    out_dir.mkdir(parents=True, exist_ok=True)
    handle = (out_dir / LOCK_NAME).open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another export is running in {out_dir} (lock {out_dir / LOCK_NAME})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield handle
    finally:
        handle.close()
