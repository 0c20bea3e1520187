"""Stopping the real Neo4j server in the middle of a stream loses no event.

Starts its own throw-away server (``scripts/neo4j.sh``, own port and data directory), so that
stopping it disturbs nobody else; slow (two server start-ups), hence ``slow`` + ``reliability``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest

from spark_lineage.graph.connection import DriverOptions
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    LineageEvent,
    OutputDataset,
    Transformation,
    TransformationSubtype,
)
from spark_lineage.sinks.neo4j import Neo4jSink
from spark_lineage.sinks.spool import Spool

pytestmark = [pytest.mark.neo4j, pytest.mark.slow, pytest.mark.reliability]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "restart-test-pw"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One scripts/neo4j.sh instance that the test stops and starts."""

    def __init__(self, data: Path) -> None:
        self.port = _free_port()
        self.data = data
        self.env = {**os.environ, "NEO4J_PASSWORD": PASSWORD}

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def start(self) -> None:
        subprocess.run([str(ROOT / "scripts/neo4j.sh"), "start", "--port", str(self.port),
                        "--data", str(self.data), "--no-config"], env=self.env, check=True,
                       capture_output=True, timeout=300)

    def stop(self) -> None:
        subprocess.run([str(ROOT / "scripts/neo4j.sh"), "stop", "--data", str(self.data)],
                       env=self.env, check=False, capture_output=True, timeout=120)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    instance = Server(tmp_path / "neo4j" / "data")
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def _event(n: int) -> LineageEvent:
    src, dst = DatasetRef("file", "/restart/src"), DatasetRef("file", "/restart/dst")
    return LineageEvent(
        run_id=f"restart-{n}", event_type=EventType.COMPLETE, job_namespace="restart",
        job_name="stream", event_time_ms=1_700_000_000_000 + n, started_at_ms=1,
        ended_at_ms=1_700_000_000_000 + n, app=AppContext("app", "restart"),
        outputs=(OutputDataset(dst, edges=(ColumnEdge(
            ColumnRef(src, "a"), ColumnRef(dst, "a"),
            Transformation(TransformationSubtype.IDENTITY)),)),),
    )


class FakeClock:
    """The sink's back-off clock, advanced by the test instead of slept through."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _runs(server: Server) -> list[str]:
    with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", PASSWORD)) as driver:
        records = driver.execute_query(
            "MATCH (r:Run)-[:OF_JOB]->(:Job {key: 'restart::stream'}) "
            "RETURN r.run_id AS id ORDER BY id").records
    return [r["id"] for r in records]


def test_stopping_neo4j_mid_stream_loses_no_event(server: Server, tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    clock = FakeClock()
    sink = Neo4jSink(
        Neo4jSettings(uri=server.uri, user="neo4j", password=PASSWORD),
        spool_dir,
        options=DriverOptions(connection_timeout_s=1.0, max_transaction_retry_time_s=1.0),
        retry_max_s=60.0,
        clock=clock,
    )
    try:
        for n in range(3):
            sink.emit(_event(n))
        assert sink.written == 3
        server.stop()
        started = time.monotonic()
        for n in range(3, 6):
            sink.emit(_event(n))  # the first fails and starts a 1 s back-off
        assert time.monotonic() - started < 20
        assert Spool(spool_dir).status().pending_entries == 3
        server.start()

        clock.advance(0.9)  # the server is back, but the back-off has not passed: no attempt
        sink.emit(_event(6))
        assert (sink.written, Spool(spool_dir).status().pending_entries) == (3, 4)
        assert _runs(server) == [f"restart-{n}" for n in range(3)]

        clock.advance(0.2)  # past the back-off: the spool is delivered in order, then direct
        sink.emit(_event(7))
        assert (sink.written, Spool(spool_dir).status().pending_entries) == (4, 0)
        assert sink.flush(10)
    finally:
        sink.close(5)
    with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", PASSWORD)) as driver:
        feeds = driver.execute_query(
            "MATCH (:Column)-[f:FEEDS]->(:Column) RETURN f.runs AS runs").records
    assert _runs(server) == [f"restart-{n}" for n in range(8)]
    assert [f["runs"] for f in feeds] == [8]
    assert Spool(spool_dir).status().files == 0
