"""The driver process killed (SIGKILL) while it spools: every complete event is delivered once.

A real ``spark-submit`` job (local[1]) runs small writes in a loop with the agent on and Neo4j
unreachable (a closed port), so every event goes to the spool. Once a few entries are on disk the
job's Python driver -- the process that owns the spool file -- is killed with SIGKILL: no close,
no flush, no exit hook. ``spark-lineage doctor`` then counts the backlog (and the torn tail),
``spark-lineage replay`` delivers it to the real test Neo4j, and the graph is compared with the
spool exactly: one run per complete entry, each applied once, nothing from the torn tail.

A SIGKILL cannot split one ``write(2)`` of a regular file, so the kill itself leaves whole entries;
what a power cut leaves (the first half of an entry) is appended by hand to the dead process's
file before the replay, so that the end-to-end path of a torn tail is exercised too.
"""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from pathlib import Path

import neo4j
import pytest
from fault_helpers import closed_port, count_graph, count_spool, steered_job, wait_until
from graph_inspect import delete_scope
from reliability_helpers import cli_env, figure, run_cli

from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.sinks.replay import replay_spool
from spark_lineage.sinks.spool import SPOOL_SUFFIX, encode_entry, scan_file

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

#: Entries on disk before the kill; the job would write many more if it were left alone.
KILL_AFTER = 4
QUERIES = 60


def test_a_driver_killed_mid_spool_loses_no_complete_event_and_replay_delivers_each_once(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    namespace = f"rel-kill-{uuid.uuid4().hex[:8]}"
    with steered_job(
        tmp_path,
        [QUERIES],
        {
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.namespace": namespace,
            "spark.lineage.neo4j.uri": f"bolt://127.0.0.1:{closed_port()}",
            "spark.lineage.neo4j.connection.timeout": "0.5",
            "spark.lineage.neo4j.retry.max": "1",
        },
        {"SPARK_LINEAGE_SPOOL_DIR": str(spool)},
    ) as job:
        driver_pid = job.driver_pid()
        job.go(0)
        wait_until(
            lambda: len(count_spool(spool).entries) >= KILL_AFTER or job.process.poll() is not None,
            180,
            f"{KILL_AFTER} spooled entries",
        )
        assert job.process.poll() is None, f"the job ended before the kill:\n{job.tail()}"
        os.kill(driver_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        code = job.wait(60)
        exit_s = time.monotonic() - killed_at
        written = job.written()
        output = job.output()

    assert code != 0, "spark-submit must report the killed driver"
    assert "spark-lineage health" not in output, "the agent must not have closed: it was killed"
    assert "DONE" not in job.stdout_path.read_text(), "the kill came after the job's end"

    on_disk = count_spool(spool)
    assert on_disk.files == 1 and on_disk.corrupt_lines == 0, on_disk
    complete = on_disk.entries
    assert len(complete) >= KILL_AFTER
    assert len(set(complete)) == len(complete), "an event was spooled twice"
    assert set(complete) <= set(written) | {f"p0-q{len(written)}"}, (complete, written)
    torn_by_kill = on_disk.torn_tails
    (dead_file,) = spool.glob(f"*{SPOOL_SUFFIX}")
    if not torn_by_kill:  # what a power cut mid-write leaves behind
        half = encode_entry(scan_file(dead_file).entries[0].event)
        with dead_file.open("ab") as handle:
            handle.write(half[: len(half) // 2])
    assert count_spool(spool).torn_tails == 1

    env = cli_env(neo4j_uri, neo4j_auth, tmp_path, {"SPARK_LINEAGE_SPOOL_DIR": str(spool)})
    doctor = run_cli(["doctor"], env)
    replay = run_cli(["replay"], env)
    again = replay_spool(Neo4jSettings(neo4j_uri, *neo4j_auth), spool)
    try:
        graph = count_graph(neo4j_uri, neo4j_auth, namespace)
    finally:
        with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
            delete_scope(driver, f"file::{tmp_path}", f"{namespace}::")

    # doctor sees the dead process's file as an orphan (its lock died with it) and the torn tail
    assert f"{len(complete)} undelivered event(s) in 1 file(s)" in doctor.stdout, doctor.stdout
    assert "owned by running processes" not in doctor.stdout
    assert "1 torn tail(s) will be skipped" in doctor.stdout, doctor.stdout
    assert replay.returncode == 0, replay.stdout + replay.stderr
    delivered = re.search(r"delivered (\d+) event", replay.stdout)
    assert delivered is not None and int(delivered.group(1)) == len(complete), replay.stdout
    assert "0 remaining" in replay.stdout and "1 spool file(s) removed" in replay.stdout
    assert "incomplete entry" in replay.stderr, "the skipped torn tail must be reported"
    assert again.delivery.delivered == 0 and again.delivery.remaining == 0, again
    assert graph.runs == len(complete), (graph, complete)
    assert graph.applied == [1] * len(complete), "an event was applied twice"
    assert graph.queries == sorted(complete)
    assert graph.feeds_runs and set(graph.feeds_runs) == {1}
    assert not list(spool.glob(f"*{SPOOL_SUFFIX}"))

    figure("killed driver: queries finished before the kill", len(written))
    figure("killed driver: complete entries in the spool", len(complete))
    figure("killed driver: torn tails left by the kill itself", torn_by_kill)
    figure("killed driver: events in Neo4j after replay (each applied once)", graph.runs)
    figure("killed driver: finished queries whose event was still in memory (lost by the kill)",
           len(set(written) - set(complete)))
    figure("killed driver: spark-submit exit code / seconds to exit after SIGKILL",
           f"{code} / {exit_s:.1f}")
