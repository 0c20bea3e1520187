"""The Neo4j sink against the real server: nothing is lost when Neo4j goes away mid-stream.

Neo4j "going away" is a real network fault: the sink talks to the server through a small TCP
relay that the test cuts (closing the listener and every open connection) and restores on the
same port. Stopping the server process itself is covered by the ``reliability`` test at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.doctor import doctor
from spark_lineage.graph.connection import DriverOptions
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)
from spark_lineage.sinks.neo4j import Neo4jSink
from spark_lineage.sinks.spool import Spool

pytestmark = pytest.mark.neo4j


class Relay:
    """A TCP relay 127.0.0.1:<port> -> the Neo4j server, which the test can cut and restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = int(probe.getsockname()[1])
        probe.close()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        self._stop.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and reset every open one (as a dead server would)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select([a, b], [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


def _event(root: str, jobs_ns: str, n: int) -> LineageEvent:
    src = DatasetRef("file", root + "src", "delta")
    dst = DatasetRef("file", root + "dst", "delta")
    at = 1_700_000_000_000 + n * 1000
    return LineageEvent(
        run_id=f"{jobs_ns}-run-{n}",
        event_type=EventType.COMPLETE,
        job_namespace=jobs_ns,
        job_name="stream",
        event_time_ms=at,
        started_at_ms=at - 10,
        ended_at_ms=at,
        app=AppContext("app", "stream"),
        inputs=(InputDataset(src),),
        outputs=(OutputDataset(dst, edges=(ColumnEdge(
            ColumnRef(src, "a"), ColumnRef(dst, "a"),
            Transformation(TransformationSubtype.IDENTITY)),)),),
    )


@pytest.fixture
def scope(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:12]
    root, jobs_ns = f"/itest-{tag}/", f"itest-{tag}"
    yield root, jobs_ns
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delete_scope(driver, f"file::{root}", f"{jobs_ns}::")


def _runs_in_graph(uri: str, auth: tuple[str, str], jobs_ns: str) -> list[str]:
    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        records = driver.execute_query(
            "MATCH (r:Run) WHERE r.job_key = $job RETURN r.run_id AS id ORDER BY id",
            job=f"{jobs_ns}::stream",
        ).records
        feeds = driver.execute_query(
            "MATCH (:Column)-[f:FEEDS {job: $job}]->(:Column) RETURN f.runs AS runs",
            job=f"{jobs_ns}::stream",
        ).records
    assert [f["runs"] for f in feeds] in ([], [len(records)])
    return [r["id"] for r in records]


class FakeClock:
    """The sink's back-off clock, advanced by the test instead of slept through."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _sink(
    uri: str, auth: tuple[str, str], spool_dir: Path, clock: Callable[[], float] = time.monotonic
) -> Neo4jSink:
    return Neo4jSink(
        Neo4jSettings(uri=uri, user=auth[0], password=auth[1]),
        spool_dir,
        options=DriverOptions(connection_timeout_s=1.0, max_transaction_retry_time_s=1.0),
        retry_max_s=60.0,
        clock=clock,
    )


def test_neo4j_going_away_mid_stream_loses_no_event(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    root, jobs_ns = scope
    target = urlsplit(neo4j_uri)
    relay = Relay(target.hostname or "127.0.0.1", target.port or 7687)
    clock = FakeClock()
    sink = _sink(f"bolt://127.0.0.1:{relay.port}", neo4j_auth, tmp_path / "spool", clock)
    spool = Spool(tmp_path / "spool")
    events = [_event(root, jobs_ns, n) for n in range(9)]
    written = sorted(e.run_id for e in events[:3])
    try:
        for event in events[:3]:
            sink.emit(event)
        assert sink.written == 3
        relay.down()
        started = time.monotonic()
        for event in events[3:5]:
            sink.emit(event)  # never raises: the first fails and starts a 1 s back-off
        assert sink.spooled == 2
        assert time.monotonic() - started < 15, "emit stays bounded while Neo4j is down"

        clock.advance(1.0)  # the back-off has passed, Neo4j is still away: the retry fails
        sink.emit(events[5])
        assert (sink.spooled, spool.status().pending_entries) == (3, 3)

        relay.up()
        clock.advance(1.9)  # the failed retry doubled the back-off to 2 s: still inside it
        sink.emit(events[6])
        assert (sink.written, sink.spooled, spool.status().pending_entries) == (3, 4, 4)
        assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == written, "no write yet"

        clock.advance(0.2)  # past the back-off: the spool is delivered in order, then direct
        sink.emit(events[7])
        assert (sink.written, sink.spooled, spool.status().pending_entries) == (4, 4, 0)
        assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == sorted(
            e.run_id for e in events[:8])
        sink.emit(events[8])
        assert sink.written == 5, "direct writes resumed"
        assert sink.flush(10)
    finally:
        sink.close(5)
        relay.down()
    assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == sorted(e.run_id for e in events)
    assert Spool(tmp_path / "spool").status().pending_entries == 0
    assert list((tmp_path / "spool").glob("*.spool")) == [], "the delivered spool is removed"


def test_a_spool_left_by_an_ended_process_is_delivered_on_the_next_start(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    root, jobs_ns = scope
    spool_dir = tmp_path / "spool"
    dead = _sink("bolt://127.0.0.1:9", neo4j_auth, spool_dir)  # nothing listens on port 9
    for n in range(3):
        dead.emit(_event(root, jobs_ns, n))
    dead.close(0)
    assert Spool(spool_dir).status().pending_entries == 3
    assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == []

    next_start = _sink(neo4j_uri, neo4j_auth, spool_dir)
    try:
        next_start.emit(_event(root, jobs_ns, 3))
    finally:
        next_start.close(5)
    assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == [
        f"{jobs_ns}-run-{n}" for n in range(4)
    ]
    assert Spool(spool_dir).status().files == 0


def test_spark_lineage_replay_delivers_the_spool_once(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    root, jobs_ns = scope
    spool_dir = tmp_path / "spool"
    dead = _sink("bolt://127.0.0.1:9", neo4j_auth, spool_dir)
    for n in range(5):
        dead.emit(_event(root, jobs_ns, n))
    dead.close(0)
    config = tmp_path / "empty.toml"
    config.write_text("")
    env = {**os.environ, "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
           "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
           "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1], "SPARK_LINEAGE_CONFIG": str(config)}
    command = [sys.executable, "-m", "spark_lineage.cli", "replay", "--spool-dir", str(spool_dir)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "delivered 5 event(s), 0 remaining" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert "delivered 0 event(s)" in second.stdout
    assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == [
        f"{jobs_ns}-run-{n}" for n in range(5)
    ]


def test_a_rejected_write_is_spooled_not_lost(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    """A database that does not exist rejects every write: the events wait in the spool."""
    root, jobs_ns = scope
    settings = Neo4jSettings(uri=neo4j_uri, user=neo4j_auth[0], password=neo4j_auth[1],
                             database="nosuchdb")
    sink = Neo4jSink(settings, tmp_path / "spool", retry_max_s=0.1)
    sink.emit(_event(root, jobs_ns, 0))
    sink.close(0)
    assert Spool(tmp_path / "spool").status().pending_entries == 1


def test_an_event_neo4j_refuses_is_kept_aside_and_the_stream_goes_on(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    """A value Neo4j cannot store (a mixed-type list from a sloppy producer) is dead-lettered."""
    root, jobs_ns = scope
    good = [_event(root, jobs_ns, n) for n in range(3)]
    bad_output = dataclasses.replace(
        good[1].outputs[0],
        version=VersionInfo(None, status="ambiguous", candidates=(1, "two")),  # type: ignore[arg-type]
    )
    poison = dataclasses.replace(good[1], run_id=f"{jobs_ns}-poison", outputs=(bad_output,))
    spool_dir = tmp_path / "spool"
    sink = _sink(neo4j_uri, neo4j_auth, spool_dir)
    try:
        for event in (good[0], poison, good[1], good[2]):
            sink.emit(event)
        assert (sink.written, sink.rejected, sink.spooled) == (3, 1, 0)
    finally:
        sink.close(5)
    assert _runs_in_graph(neo4j_uri, neo4j_auth, jobs_ns) == sorted(e.run_id for e in good)
    status = Spool(spool_dir).status()
    assert (status.pending_entries, status.rejected_entries) == (0, 1)
    checks = {c.name: c for c in doctor(Neo4jSettings(uri=neo4j_uri, user=neo4j_auth[0],
                                                      password=neo4j_auth[1]), spool_dir)}
    assert "1 event(s) rejected by Neo4j" in checks["spool"].detail
    assert not checks["spool"].ok
