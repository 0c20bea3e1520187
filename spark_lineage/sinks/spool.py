"""A durable, append-only local spool: events wait here while Neo4j is unreachable.

Layout: one directory, one ``<created_ns>-<host>-<pid>.spool`` file per process (the process
holds an exclusive ``flock`` on it while alive), and beside each file an ``.ack`` file holding
the byte offset up to which entries were delivered.

Framing: one entry per line, ``<crc32 of the JSON, 8 hex digits> <JSON of the event>\\n``.
Every append is written unbuffered and ``fsync``'d before ``append`` returns, all or nothing: a
write that fails part-way (disk full, file too large) is cut back to where the entry started, so
a failed entry is never left half-written to be completed later or to swallow the next entry. A
crash mid-write leaves a last line without its newline (or whose CRC does not match): readers
detect that torn tail and skip it; a bad line in the middle (disk damage) is skipped and counted,
never fatal. Delivery does not drop either: it copies them, with the reason, to ``rejected/``.

Delivery (:meth:`Spool.deliver`) goes file by file in creation order, entry by entry in write
order, and stops at the first failure so that order is kept. After each delivered entry the ack
offset is saved (atomically, fsync'd). A file is only ever deleted (or, the own file, truncated)
once its ack covers every byte: every entry delivered or dead-lettered, every damaged line copied
to ``rejected/``; never unread. The own file's ack is reset to 0 *before* its truncation, so a
crash in between causes a harmless redelivery, never a loss.

Dead letters: an entry the backend refuses *for its content* (the caller's ``is_rejection`` says
so) must not block the entries behind it; it is moved, with the reason, to
``rejected/<host>-<pid>.rejected.jsonl`` and can be retried with :meth:`Spool.retry_rejected`.
A damaged line goes there too, as ``{"error": reason, "damaged": {"file", "offset", "line"}}``
(``line`` is the raw bytes decoded with ``surrogateescape``: lossless), for a person to inspect.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from spark_lineage.model import LineageEvent

log = logging.getLogger(__name__)

SPOOL_SUFFIX = ".spool"
ACK_SUFFIX = ".ack"
FORMAT_VERSION = 1
TORN_TAIL = "incomplete entry (a write cut short by a crash)"


class SpoolError(RuntimeError):
    """The spool cannot store an event (disk full, permissions...): the event would be lost."""


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    """One readable entry: its file, the byte offset just after it, and the event."""

    path: Path
    end_offset: int
    event: LineageEvent


@dataclass(frozen=True, slots=True)
class DamagedLine:
    """A line that is not a readable entry: its bytes, where it ends, and why it is unreadable."""

    path: Path
    end_offset: int
    raw: bytes
    reason: str


@dataclass(slots=True)
class ScanResult:
    """What reading a spool file found beyond the entries: damage, skipped safely."""

    entries: list[SpoolEntry] = field(default_factory=list)
    damaged: list[DamagedLine] = field(default_factory=list)
    torn_tail: DamagedLine | None = None

    @property
    def corrupt_lines(self) -> int:
        return len(self.damaged)

    @property
    def torn_tail_bytes(self) -> int:
        return len(self.torn_tail.raw) if self.torn_tail else 0


@dataclass(frozen=True, slots=True)
class SpoolStatus:
    """The backlog: undelivered entries and files, and damage found while counting."""

    directory: Path
    files: int
    pending_entries: int
    pending_bytes: int
    corrupt_lines: int
    torn_tails: int
    locked_files: int
    rejected_entries: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a delivery pass did; ``error`` is set when it stopped on a failed delivery."""

    delivered: int
    remaining: int
    skipped_corrupt: int
    files_removed: int
    error: BaseException | None = None
    rejected: int = 0


def encode_entry(event: LineageEvent) -> bytes:
    """One framed line for ``event``: CRC32 (hex) of the JSON, a space, the JSON, a newline."""
    payload = json.dumps(
        {"v": FORMAT_VERSION, "event": event.to_dict()}, separators=(",", ":"), default=str
    ).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def decode_line(line: bytes) -> LineageEvent | None:
    """The event of a complete line, or None when the CRC or JSON does not check out."""
    event = _decode(line)
    return event if isinstance(event, LineageEvent) else None


def _decode(line: bytes) -> LineageEvent | str:
    """The event of a complete line, or why it is not one."""
    if len(line) < 10 or line[8:9] != b" ":
        return "no checksum frame"
    payload = line[9:].rstrip(b"\n")
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return "checksum mismatch"
        return LineageEvent.from_dict(json.loads(payload)["event"])
    except (ValueError, KeyError, TypeError) as exc:
        return f"unreadable entry ({type(exc).__name__}: {exc})"[:500]


def scan_file(path: Path, start: int = 0) -> ScanResult:
    """Read the entries of a spool file from byte ``start``, skipping damage safely."""
    result = ScanResult()
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            offset += len(line)
            if not line.endswith(b"\n"):
                result.torn_tail = DamagedLine(path, offset, line, TORN_TAIL)
                break
            event = _decode(line)
            if isinstance(event, str):
                result.damaged.append(DamagedLine(path, offset, line, event))
                log.warning("spool: skipping a damaged entry in %s ending at byte %d", path, offset)
                continue
            result.entries.append(SpoolEntry(path, offset, event))
    return result


def read_ack(path: Path) -> int:
    """Delivered byte offset of a spool file (0 when nothing was delivered)."""
    ack = path.with_suffix(ACK_SUFFIX)
    try:
        return int(ack.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def write_ack(path: Path, offset: int) -> None:
    """Persist the delivered offset atomically (temp file, fsync, rename, fsync directory)."""
    ack = path.with_suffix(ACK_SUFFIX)
    tmp = ack.with_suffix(".ack.tmp")
    with tmp.open("w") as handle:
        handle.write(str(offset))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, ack)
    _fsync_dir(path.parent)


def _fully_read(path: Path) -> bool:
    """True when the ack covers the whole file: nothing in it is left unread."""
    try:
        return read_ack(path) >= path.stat().st_size
    except FileNotFoundError:
        return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """A process's view of the spool directory: its own file to append, others to replay.

    Thread-safe. The own file is created on the first append (no file when nothing fails).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.RLock()
        self._own: IO[bytes] | None = None
        self._own_path: Path | None = None

    @property
    def own_path(self) -> Path | None:
        return self._own_path

    def append(self, event: LineageEvent) -> None:
        """Durably store one event (written and fsync'd before returning), or raise SpoolError.

        All or nothing: when the write or the fsync fails (ENOSPC, EFBIG, EIO...), the file is
        truncated back to its size before this entry, so the event is either stored whole or
        reported lost -- never left half-written in a buffer to reappear later, never glued to
        the next entry (which would make that one unreadable too).
        """
        data = encode_entry(event)
        with self._lock:
            try:
                handle = self._own_file()
                fd = handle.fileno()
                start = os.fstat(fd).st_size
            except OSError as exc:
                raise SpoolError(f"cannot write to the spool in {self.directory}: {exc}") from exc
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except OSError as exc:
                self._cut_back(fd, start)
                raise SpoolError(f"cannot write to the spool in {self.directory}: {exc}") from exc

    def _cut_back(self, fd: int, size: int) -> None:
        """Remove the part of a failed entry that did reach the file."""
        try:
            os.ftruncate(fd, size)
            os.lseek(fd, size, os.SEEK_SET)
        except OSError:
            log.error(
                "spool: could not remove a partly written entry from %s; it and the next entry "
                "will be skipped as one damaged line",
                self._own_path,
                exc_info=True,
            )

    def has_backlog(self) -> bool:
        """True when this process's own file holds undelivered entries."""
        with self._lock:
            if self._own_path is None or self._own is None:
                return False
            return self._own.tell() > read_ack(self._own_path)

    def _own_file(self) -> IO[bytes]:
        if self._own is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():020d}-{socket.gethostname()}-{os.getpid()}{SPOOL_SUFFIX}"
            path = self.directory / name
            handle = path.open("ab", buffering=0)  # append() writes whole entries itself
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            _fsync_dir(self.directory)
            self._own, self._own_path = handle, path
        return self._own

    def files(self) -> list[Path]:
        """Spool files in creation order (their names start with the creation time)."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(f"*{SPOOL_SUFFIX}"))

    @contextlib.contextmanager
    def _claim(self, path: Path) -> Iterator[bool]:
        """Hold a file for delivery: the own file always, another only if its owner is gone."""
        if path == self._own_path:
            yield True
            return
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            yield False
            return
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    def status(self) -> SpoolStatus:
        """Count the undelivered backlog in every file (own, orphaned and locked by others)."""
        entries = size = corrupt = torn = locked = 0
        files = self.files()
        for path in files:
            with self._claim(path) as claimed:
                locked += 0 if claimed else 1
            ack = read_ack(path)
            try:
                scan = scan_file(path, ack)
                size += max(path.stat().st_size - ack, 0)
            except FileNotFoundError:
                continue
            entries += len(scan.entries)
            corrupt += scan.corrupt_lines
            torn += 1 if scan.torn_tail_bytes else 0
        rejected = 0
        for path in self.rejected_files():
            with path.open("rb") as handle:
                rejected += sum(1 for _ in handle)
        return SpoolStatus(
            self.directory, len(files), entries, size, corrupt, torn, locked, rejected
        )

    def deliver(
        self,
        send: Callable[[LineageEvent], object],
        is_rejection: Callable[[BaseException], bool] = lambda exc: False,
    ) -> DeliveryReport:
        """Send every undelivered entry in order; stop at the first failure (kept for later).

        A failure for which ``is_rejection`` is true (the backend refuses *this* event, e.g. a
        value it cannot store) does not block the ones behind it: the entry moves to the
        ``rejected/`` dead-letter directory, with the reason, and delivery goes on. Files owned
        by another live process are left to that process.
        """
        delivered = skipped = removed = rejected = 0
        with self._lock:
            for path in self.files():
                with self._claim(path) as claimed:
                    if not claimed:
                        continue
                    count, corrupt, dead, error = self._deliver_file(path, send, is_rejection)
                    delivered += count
                    skipped += corrupt
                    rejected += dead
                    if error is not None:
                        remaining = self.status().pending_entries
                        return DeliveryReport(
                            delivered, remaining, skipped, removed, error, rejected
                        )
                    removed += self._compact(path)
        return DeliveryReport(
            delivered, self.status().pending_entries, skipped, removed, None, rejected
        )

    def _deliver_file(
        self,
        path: Path,
        send: Callable[[LineageEvent], object],
        is_rejection: Callable[[BaseException], bool],
    ) -> tuple[int, int, int, BaseException | None]:
        scan = scan_file(path, read_ack(path))
        if scan.torn_tail is not None:
            log.warning(
                "spool: %s ends with an incomplete entry (%d bytes, a write cut short by a "
                "crash); it is not delivered, it is kept in %s",
                path,
                scan.torn_tail_bytes,
                self.rejected_dir,
            )
        damaged = [*scan.damaged, *([scan.torn_tail] if scan.torn_tail else [])]
        items: list[SpoolEntry | DamagedLine] = sorted(
            [*scan.entries, *damaged], key=lambda item: item.end_offset
        )
        delivered = rejected = corrupt = 0
        for entry in items:
            if isinstance(entry, DamagedLine):
                self._keep_damaged(entry)
                write_ack(path, entry.end_offset)
                corrupt += 0 if entry is scan.torn_tail else 1
                continue
            try:
                send(entry.event)
            except Exception as exc:  # the caller decides what failures mean; we keep the entry
                if not is_rejection(exc):
                    return delivered, corrupt, rejected, exc
                self.reject(entry.event, exc)
                rejected += 1
            else:
                delivered += 1
            write_ack(path, entry.end_offset)
        return delivered, corrupt, rejected, None

    @property
    def rejected_dir(self) -> Path:
        return self.directory / "rejected"

    def reject(self, event: LineageEvent, error: BaseException) -> Path:
        """Keep an event the backend refused in the dead-letter directory, with the reason.

        One JSON line per event: ``{"error": ..., "event": ...}``, fsync'd. Nothing is dropped:
        ``spark-lineage replay --rejected`` tries these again once the cause is fixed.
        """
        path = self._dead_letter(
            {"error": f"{type(error).__name__}: {error}"[:2000], "event": event.to_dict()}
        )
        log.warning(
            "spool: an event of run %s was rejected and kept in %s: %s", event.run_id, path, error
        )
        return path

    def _dead_letter(self, record: dict[str, object]) -> Path:
        """Append one JSON line to this process's dead-letter file, fsync'd."""
        directory = self.rejected_dir
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{socket.gethostname()}-{os.getpid()}.rejected.jsonl"
        line = json.dumps(record, separators=(",", ":"), default=str)
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def _keep_damaged(self, line: DamagedLine) -> None:
        """Copy a damaged line to the dead-letter directory before the ack moves past it."""
        damaged = {
            "file": line.path.name,
            "offset": line.end_offset - len(line.raw),
            "line": line.raw.decode("utf-8", "surrogateescape"),
        }
        self._dead_letter({"error": f"damaged spool entry: {line.reason}", "damaged": damaged})

    def rejected_files(self) -> list[Path]:
        if not self.rejected_dir.is_dir():
            return []
        return sorted(self.rejected_dir.glob("*.rejected.jsonl"))

    def retry_rejected(self, send: Callable[[LineageEvent], object]) -> tuple[int, int]:
        """Send the dead-lettered events again; keep those that fail. Returns (sent, kept)."""
        sent = kept = 0
        with self._lock:
            for path in self.rejected_files():
                keep: list[str] = []
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        event = LineageEvent.from_dict(json.loads(line)["event"])
                        send(event)
                        sent += 1
                    except Exception:  # still refused (or unreadable): keep it
                        keep.append(line)
                        kept += 1
                if keep:
                    tmp = path.with_suffix(".tmp")
                    tmp.write_text("\n".join(keep) + "\n", encoding="utf-8")
                    os.replace(tmp, path)
                else:
                    path.unlink()
        return sent, kept

    def _compact(self, path: Path) -> int:
        """Drop a fully read file (another's) or truncate it (own); 1 if a file was removed.

        Fully read: the ack covers every byte, so each entry was delivered or dead-lettered and
        each damaged line copied to ``rejected/``.
        """
        if path == self._own_path and self._own is not None:
            if self._own.tell() > 0 and _fully_read(path):
                write_ack(path, 0)
                os.ftruncate(self._own.fileno(), 0)
                self._own.seek(0)
            return 0
        if not _fully_read(path):
            return 0
        path.unlink(missing_ok=True)
        path.with_suffix(ACK_SUFFIX).unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return 1

    def close(self) -> None:
        """Release the own file; remove it when everything in it was delivered."""
        with self._lock:
            if self._own is None or self._own_path is None:
                return
            path, handle = self._own_path, self._own
            if _fully_read(path):
                path.unlink(missing_ok=True)
                path.with_suffix(ACK_SUFFIX).unlink(missing_ok=True)
            handle.close()
            self._own, self._own_path = None, None
