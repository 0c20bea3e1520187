"""Helpers of the fault tests: a misbehaving TCP path, a steerable spark-submit job, spool and
graph counting.

:class:`FaultyProxy` sits between the agent and the real Neo4j (127.0.0.1 only) and can add
latency per chunk, cut every connection in the middle of a stream (a reset, as a dropped NAT
entry or a restarted load balancer gives), refuse new connections, or hold all traffic for a while
(a blackhole that later recovers). :class:`SteeredJob` runs ``tests/jobs/fault_phases_job.py``
under a real ``spark-submit`` and lets the test act between its phases.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import neo4j

from spark_lineage.sinks.spool import SPOOL_SUFFIX, scan_file

ROOT = Path(__file__).resolve().parents[2]

#: A Bolt COMMIT message as the driver sends it: chunk of 2 bytes (tiny struct, signature 0x12),
#: then the end-of-message marker.
BOLT_COMMIT = b"\x00\x02\xb0\x12\x00\x00"
SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
PHASES_JOB = ROOT / "tests" / "jobs" / "fault_phases_job.py"


def closed_port() -> int:
    """A local port where nothing listens (Neo4j "down": connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str,
               interval_s: float = 0.05) -> None:
    """Poll ``condition`` until it holds; fail the test naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(interval_s)


# --- a misbehaving network path ------------------------------------------------------------------


@dataclass
class ProxyStats:
    """What went through the proxy (bytes each way, connections accepted, refused and cut)."""

    accepted: int = 0
    refused: int = 0
    cut: int = 0
    client_bytes: int = 0
    server_bytes: int = 0
    delayed_chunks: int = 0
    held_chunks: int = 0
    commits_unanswered: int = 0


@dataclass
class _Link:
    client: socket.socket
    server: socket.socket
    closed: threading.Event = field(default_factory=threading.Event)
    drop_answer: bool = False


class FaultyProxy:
    """A TCP forwarder on 127.0.0.1 to ``target`` whose faults the test switches on and off.

    * ``delay_s``: sleep that long before forwarding each chunk, both ways (latency).
    * :meth:`cut_all`: reset every open connection now (mid-stream: requests in flight are lost
      for the client, which cannot tell whether the server committed them).
    * ``refuse``: accept new connections and reset them at once (a path that drops everything).
    * :meth:`hold` / :meth:`release`: stop forwarding in both directions (bytes wait in the
      kernel buffers, nothing is lost) -- a blackhole that recovers, seen as a long stall.
    * :meth:`drop_after_next_commit`: forward the next Bolt ``COMMIT`` to the server, then reset
      that connection instead of forwarding the server's answer: the transaction is committed
      but the client cannot know it (the case that tests idempotent retries).

    Threads only (one acceptor, two pumps per connection); :meth:`close` stops everything.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.delay_s = 0.0
        self.refuse = False
        self._commit_trap = False
        self.stats = ProxyStats()
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, name="proxy-accept",
                                          daemon=True)
        self._acceptor.start()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def hold(self) -> None:
        """Stop forwarding (both ways, every connection, new ones too) until :meth:`release`."""
        self._flowing.clear()

    def release(self) -> None:
        self._flowing.set()

    def drop_after_next_commit(self) -> None:
        self._commit_trap = True

    def cut_all(self) -> int:
        """Reset every open connection; returns how many were cut."""
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            self._reset(link)
        with self._lock:
            self.stats.cut += len(links)
        return len(links)

    def open_links(self) -> int:
        with self._lock:
            return sum(1 for link in self._links if not link.closed.is_set())

    def close(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all()
        self._flowing.set()
        self._acceptor.join(5)

    def __enter__(self) -> FaultyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], 0.1)
                if not ready:
                    continue
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                with self._lock:
                    self.stats.refused += 1
                _hard_close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _hard_close(client)
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, server)
            with self._lock:
                self._links.append(link)
                self.stats.accepted += 1
            for source, sink, upstream in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pump, args=(link, source, sink, upstream),
                                 name="proxy-pump", daemon=True).start()

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket,
              upstream: bool) -> None:
        try:
            while not link.closed.is_set():
                while not self._flowing.wait(0.1):  # held: leave the bytes in the kernel
                    if link.closed.is_set():
                        return
                chunk = source.recv(65536)
                if not chunk:
                    break
                if not upstream and link.drop_answer:  # the answer to a trapped COMMIT
                    with self._lock:
                        self.stats.commits_unanswered += 1
                    break
                if upstream and self._commit_trap and BOLT_COMMIT in chunk:
                    self._commit_trap = False
                    link.drop_answer = True
                delay = self.delay_s
                if delay > 0:
                    time.sleep(delay)
                    with self._lock:
                        self.stats.delayed_chunks += 1
                if not self._flowing.is_set():
                    with self._lock:
                        self.stats.held_chunks += 1
                while not self._flowing.wait(0.1):
                    if link.closed.is_set():
                        return
                if link.closed.is_set():
                    return
                sink.sendall(chunk)
                with self._lock:
                    if upstream:
                        self.stats.client_bytes += len(chunk)
                    else:
                        self.stats.server_bytes += len(chunk)
        except OSError:
            pass
        self._reset(link)

    @staticmethod
    def _reset(link: _Link) -> None:
        if link.closed.is_set():
            return
        link.closed.set()
        for sock in (link.client, link.server):
            _hard_close(sock)


def _hard_close(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a dropped path looks to the peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


# --- a steerable spark-submit job -----------------------------------------------------------------


class SteeredJob:
    """``fault_phases_job.py`` under a real ``spark-submit`` (local[1]) with the agent on.

    The job's Python driver writes its pid to ``control/pid`` and runs phase ``k`` when
    :meth:`go` (k) is called. stdout and stderr go to files, so the test can read them while the
    job runs. The process group is killed on :meth:`cleanup` whatever happened.
    """

    def __init__(self, tmp_path: Path, phases: list[int], lineage_conf: Mapping[str, str],
                 env: Mapping[str, str]) -> None:
        self.work = tmp_path / "work"
        self.control = tmp_path / "control"
        self.work.mkdir()
        self.control.mkdir()
        self.stdout_path = tmp_path / "job.stdout"
        self.stderr_path = tmp_path / "job.stderr"
        confs: list[str] = []
        for key, value in {
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "1",
            "spark.lineage.enabled": "true",
            **lineage_conf,
        }.items():
            confs += ["--conf", f"{key}={value}"]
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SPARK_LINEAGE_")},
            "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable,
            **env,
        }
        self.command = [
            str(SPARK_SUBMIT), "--master", "local[1]", "--driver-memory", "768m", *confs,
            str(PHASES_JOB), str(self.work), str(self.control), ",".join(map(str, phases)),
        ]
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.command, cwd=tmp_path, env=environment, stdout=out, stderr=err,
                start_new_session=True,
            )
        self.started = time.monotonic()

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def tail(self, chars: int = 4000) -> str:
        return self.output()[-chars:]

    def driver_pid(self, timeout_s: float = 180) -> int:
        """The pid of the job's Python driver (not the spark-submit JVM that started it)."""
        pid_file = self.control / "pid"
        wait_until(lambda: pid_file.exists() or self.process.poll() is not None, timeout_s,
                   "the job's driver to start")
        assert pid_file.exists(), f"the job ended before starting:\n{self.tail()}"
        return int(pid_file.read_text())

    def go(self, phase: int) -> None:
        (self.control / f"go-{phase}").touch()

    def wait_for_line(self, text: str, timeout_s: float) -> None:
        def seen() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the job ended before printing {text!r}:\n{self.tail()}")
            return text in self.stdout_path.read_text(errors="replace")

        wait_until(seen, timeout_s, f"the job to print {text!r}")

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout_s)

    def written(self) -> list[str]:
        """Names of the queries the job reports done (``WROTE <name>`` lines)."""
        return re.findall(r"^WROTE (\S+)$", self.stdout_path.read_text(errors="replace"), re.M)

    def cleanup(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait(30)


@contextlib.contextmanager
def steered_job(tmp_path: Path, phases: list[int], lineage_conf: Mapping[str, str],
                env: Mapping[str, str]) -> Iterator[SteeredJob]:
    job = SteeredJob(tmp_path, phases, lineage_conf, env)
    try:
        yield job
    finally:
        job.cleanup()


# --- counting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpoolCount:
    """Complete entries (with the query each names), torn tails and damaged lines on disk."""

    entries: list[str]
    torn_tails: int
    torn_bytes: int
    corrupt_lines: int
    files: int


def count_spool(directory: Path) -> SpoolCount:
    """Read every spool file from byte 0, independently of any :class:`Spool` object."""
    entries: list[str] = []
    torn = torn_bytes = corrupt = 0
    files = sorted(directory.glob(f"*{SPOOL_SUFFIX}")) if directory.is_dir() else []
    for path in files:
        scan = scan_file(path)
        entries += [query_of(entry.event.outputs[0].dataset.name) if entry.event.outputs
                    else "?" for entry in scan.entries]
        torn += 1 if scan.torn_tail_bytes else 0
        torn_bytes += scan.torn_tail_bytes
        corrupt += scan.corrupt_lines
    return SpoolCount(entries, torn, torn_bytes, corrupt, len(files))


def query_of(path: str) -> str:
    """The job's query name (``p<k>-q<i>``) in an output path."""
    return path.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class GraphCount:
    """The runs of one job namespace in Neo4j: the queries they wrote and how often each was
    applied (``applied_events`` holds one digest per distinct event delivered)."""

    runs: int
    applied: list[int]
    queries: list[str]
    feeds_runs: list[int]


def count_graph(uri: str, auth: tuple[str, str], namespace: str) -> GraphCount:
    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        runs = driver.execute_query(
            "MATCH (r:Run) WHERE r.job_key STARTS WITH $jobs "
            "OPTIONAL MATCH (r)-[:WROTE]->(d:Dataset) "
            "RETURN r.run_id AS run, size(r.applied_events) AS applied, "
            "collect(d.name) AS outputs",
            jobs=f"{namespace}::",
        ).records
        feeds = driver.execute_query(
            "MATCH (r:Run)-[:WROTE]->(d:Dataset)-[:HAS_COLUMN]->(c:Column)<-[f:FEEDS]-() "
            "WHERE r.job_key STARTS WITH $jobs RETURN f.runs AS runs",
            jobs=f"{namespace}::",
        ).records
    queries = sorted(query_of(name) for record in runs for name in record["outputs"])
    return GraphCount(
        runs=len(runs),
        applied=[int(record["applied"]) for record in runs],
        queries=queries,
        feeds_runs=[int(record["runs"]) for record in feeds],
    )


def health_sink_errors(output: str, sink: str = "neo4j") -> int | None:
    """The ``sink_errors`` count of ``sink`` in the agent's close-time health line, if logged."""
    match = re.search(r"spark-lineage health: .*sink_errors\[([^\]]*)\]", output)
    if match is None:
        return None
    for part in match.group(1).split(","):
        label, _, value = part.strip().partition("=")
        if label.endswith(f":{sink}"):
            return int(value)
    return None
