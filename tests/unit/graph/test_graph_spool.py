"""The durable spool: framing, torn tails, ordered delivery, acknowledgements and ownership."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from graph_builders import report_event
from hypothesis import given, settings
from hypothesis import strategies as st

from spark_lineage.model import LineageEvent
from spark_lineage.sinks.spool import (
    Spool,
    decode_line,
    encode_entry,
    read_ack,
    scan_file,
)


def _events(count: int, prefix: str = "run") -> list[LineageEvent]:
    return [report_event(run_id=f"{prefix}-{i}") for i in range(count)]


def test_an_entry_round_trips_through_its_framing() -> None:
    event = report_event()
    line = encode_entry(event)
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert decode_line(line) == event


def test_a_changed_byte_fails_the_checksum() -> None:
    line = bytearray(encode_entry(report_event()))
    line[40] = ord("X") if line[40] != ord("X") else ord("Y")
    assert decode_line(bytes(line)) is None


def test_appended_events_are_read_back_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for event in _events(3):
        spool.append(event)
    assert spool.own_path is not None
    scan = scan_file(spool.own_path)
    assert [e.event.run_id for e in scan.entries] == ["run-0", "run-1", "run-2"]
    spool.close()


def test_a_torn_tail_from_a_crash_mid_write_is_detected_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "00000000000000000001-host-1.spool"
    good, torn = encode_entry(report_event("a")), encode_entry(report_event("b"))
    path.write_bytes(good + torn[: len(torn) // 2])
    scan = scan_file(path)
    assert [e.event.run_id for e in scan.entries] == ["a"]
    assert scan.torn_tail_bytes == len(torn) // 2
    delivered: list[str] = []
    spool = Spool(tmp_path)
    report = spool.deliver(lambda event: delivered.append(event.run_id))
    assert delivered == ["a"]
    assert report.remaining == 0
    assert not path.exists(), "a fully read orphan file is removed, torn tail included"
    assert _damaged_kept(spool) == [
        ("damaged spool entry: incomplete entry (a write cut short by a crash)",
         torn[: len(torn) // 2])
    ]


def _damaged_kept(spool: Spool) -> list[tuple[str, bytes]]:
    """(reason, original bytes) of every damaged line the spool set aside in rejected/."""
    kept = []
    for path in spool.rejected_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "damaged" in record:
                raw = record["damaged"]["line"].encode("utf-8", "surrogateescape")
                kept.append((record["error"], raw))
    return kept


def test_a_file_that_is_entirely_damaged_is_kept_line_by_line_in_rejected(tmp_path: Path) -> None:
    lines = [b"not a spool entry at all\n", b"\xff\xfe binary garbage\n"]
    bad_crc = bytearray(encode_entry(report_event("b")))
    bad_crc[30] ^= 0x01
    lines.append(bytes(bad_crc))
    for stamp, content in ((1, lines[:2]), (2, lines[2:])):
        (tmp_path / f"{stamp:020d}-host-{stamp}.spool").write_bytes(b"".join(content))

    spool = Spool(tmp_path)
    report = spool.deliver(lambda event: None)

    assert (report.delivered, report.skipped_corrupt, report.remaining) == (0, 3, 0)
    assert _damaged_kept(spool) == [
        ("damaged spool entry: no checksum frame", lines[0]),
        ("damaged spool entry: no checksum frame", lines[1]),
        ("damaged spool entry: checksum mismatch", lines[2]),
    ]
    assert spool.status().rejected_entries == 3


def test_a_damaged_line_behind_a_failed_delivery_stays_in_its_file_until_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "00000000000000000001-host-1.spool"
    path.write_bytes(encode_entry(report_event("a")) + b"garbage\n")

    def down(event: LineageEvent) -> None:
        raise ConnectionError("refused")

    spool = Spool(tmp_path)
    assert spool.deliver(down).error is not None
    assert path.exists() and _damaged_kept(spool) == []
    spool.deliver(lambda event: None)
    spool.deliver(lambda event: None)
    assert not path.exists()
    assert _damaged_kept(spool) == [("damaged spool entry: no checksum frame", b"garbage\n")]


def test_the_own_file_is_not_removed_on_close_while_a_damaged_line_is_unread(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path)
    spool.append(report_event("a"))
    spool.deliver(lambda event: None)
    assert spool.own_path is not None and spool._own is not None
    spool._own.write(b"garbage\n")  # damage after the last delivery
    path = spool.own_path
    spool.close()
    assert path.exists(), "an unread line must not be deleted"


def test_a_damaged_entry_in_the_middle_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "00000000000000000001-host-1.spool"
    damaged = bytearray(encode_entry(report_event("b")))
    damaged[30] ^= 0x01
    path.write_bytes(encode_entry(report_event("a")) + bytes(damaged)
                     + encode_entry(report_event("c")))
    delivered: list[str] = []
    report = Spool(tmp_path).deliver(lambda event: delivered.append(event.run_id))
    assert delivered == ["a", "c"]
    assert report.skipped_corrupt == 1


def test_delivery_goes_through_files_in_creation_order(tmp_path: Path) -> None:
    for stamp, run_ids in ((2, ["c", "d"]), (1, ["a", "b"])):
        path = tmp_path / f"{stamp:020d}-host-{stamp}.spool"
        path.write_bytes(b"".join(encode_entry(report_event(r)) for r in run_ids))
    delivered: list[str] = []
    report = Spool(tmp_path).deliver(lambda event: delivered.append(event.run_id))
    assert delivered == ["a", "b", "c", "d"]
    assert report.files_removed == 2
    assert list(tmp_path.iterdir()) == []


def test_a_failed_delivery_stops_and_resumes_without_resending(tmp_path: Path) -> None:
    writer = Spool(tmp_path)
    for event in _events(4):
        writer.append(event)
    writer._own.close()  # type: ignore[union-attr]  # simulate the writing process ending
    writer._own = None
    sent: list[str] = []

    def flaky(event: LineageEvent) -> None:
        if event.run_id == "run-2" and "run-2" not in failed:
            failed.add("run-2")
            raise ConnectionError("neo4j down")
        sent.append(event.run_id)

    failed: set[str] = set()
    first = Spool(tmp_path).deliver(flaky)
    assert isinstance(first.error, ConnectionError)
    assert (first.delivered, first.remaining) == (2, 2)
    second = Spool(tmp_path).deliver(flaky)
    assert second.error is None
    assert sent == ["run-0", "run-1", "run-2", "run-3"]


def test_the_own_file_is_truncated_once_delivered_and_removed_on_close(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(report_event("a"))
    assert spool.has_backlog()
    spool.deliver(lambda event: None)
    assert not spool.has_backlog()
    path = spool.own_path
    assert path is not None and path.stat().st_size == 0 and read_ack(path) == 0
    spool.append(report_event("b"))
    delivered: list[str] = []
    spool.deliver(lambda event: delivered.append(event.run_id))
    assert delivered == ["b"], "entries appended after a truncation are delivered once"
    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_undelivered_entries_survive_close(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(report_event("a"))
    spool.close()
    status = Spool(tmp_path).status()
    assert (status.files, status.pending_entries, status.locked_files) == (1, 1, 0)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path[:0] = [sys.argv[2]]
    from graph_builders import report_event
    from spark_lineage.sinks.spool import Spool
    spool = Spool(Path(sys.argv[1]))
    spool.append(report_event("held"))
    print("ready", flush=True)
    sys.stdin.readline()
    """
)


def test_a_file_owned_by_a_live_process_is_left_to_it(tmp_path: Path) -> None:
    here = str(Path(__file__).parent)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path), here],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        delivered: list[str] = []
        report = Spool(tmp_path).deliver(lambda event: delivered.append(event.run_id))
        assert delivered == []
        assert report.remaining == 1
        assert Spool(tmp_path).status().locked_files == 1
    finally:
        holder.communicate("\n", timeout=30)
    delivered_after: list[str] = []
    Spool(tmp_path).deliver(lambda event: delivered_after.append(event.run_id))
    assert delivered_after == ["held"], "once its owner is gone, the file is an orphan to replay"


def test_an_unwritable_spool_raises_instead_of_losing_silently(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    from spark_lineage.sinks.spool import SpoolError

    with pytest.raises(SpoolError, match="cannot write to the spool"):
        Spool(blocker / "spool").append(report_event())


def test_a_rejected_event_is_dead_lettered_and_does_not_block_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "00000000000000000001-host-1.spool"
    path.write_bytes(b"".join(encode_entry(report_event(r)) for r in ("a", "poison", "c")))
    delivered: list[str] = []

    def send(event: LineageEvent) -> None:
        if event.run_id == "poison":
            raise TypeError("cannot store this value")
        delivered.append(event.run_id)

    spool = Spool(tmp_path)
    report = spool.deliver(send, is_rejection=lambda exc: isinstance(exc, TypeError))
    assert delivered == ["a", "c"]
    assert (report.rejected, report.remaining, report.error) == (1, 0, None)
    assert spool.status().rejected_entries == 1
    (dead,) = spool.rejected_files()
    assert "cannot store this value" in dead.read_text()

    assert spool.retry_rejected(send) == (0, 1), "still refused: kept"
    assert spool.retry_rejected(lambda event: delivered.append(event.run_id)) == (1, 0)
    assert delivered[-1] == "poison"
    assert spool.rejected_files() == []


def test_a_failure_that_is_not_a_rejection_stops_delivery(tmp_path: Path) -> None:
    path = tmp_path / "00000000000000000001-host-1.spool"
    path.write_bytes(encode_entry(report_event("a")) + encode_entry(report_event("b")))

    def down(event: LineageEvent) -> None:
        raise ConnectionError("refused")

    report = Spool(tmp_path).deliver(down, is_rejection=lambda exc: isinstance(exc, TypeError))
    assert isinstance(report.error, ConnectionError)
    assert (report.delivered, report.rejected, report.remaining) == (0, 0, 2)


_FRAMES = [encode_entry(report_event(f"cut-{i}")) for i in range(4)]
_WHOLE = b"".join(_FRAMES)


@given(cut=st.integers(min_value=0, max_value=len(_WHOLE)))
@settings(max_examples=60, deadline=None)
def test_a_crash_at_any_byte_yields_exactly_the_entries_written_before_it(cut: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "00000000000000000001-host-1.spool"
        path.write_bytes(_WHOLE[:cut])
        scan = scan_file(path)
    complete, offset = 0, 0
    for frame in _FRAMES:
        if offset + len(frame) <= cut:
            complete += 1
            offset += len(frame)
    assert [e.event.run_id for e in scan.entries] == [f"cut-{i}" for i in range(complete)]
    assert scan.corrupt_lines == 0
    assert scan.torn_tail_bytes == cut - offset
