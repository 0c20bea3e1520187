"""The spool cannot grow (file-size limit reached) while Neo4j is down: the loss is exact and loud,
the job is fine, and once there is room again later events spool and are delivered.

A real ``spark-submit`` job (local[1], agent on, Neo4j on a closed port) writes in three phases.
Between phases the test changes the resource limit of the job's Python driver -- the process that
writes the spool -- from outside with ``prlimit(2)`` (no root needed): ``RLIMIT_FSIZE`` is set a
few hundred bytes above the spool file's size, so the next entry is written part-way and then
refused (``EFBIG``, the kernel's "no room" for this file, handled like ``ENOSPC``), as are the
ones after it; then the limit is lifted. Expected:

* phase 0 (room): every event spooled;
* phase 1 (no room): every event lost, each one counted (``sink_errors`` in the health line),
  one ERROR naming the spool directory; the job prints its result, exit 0;
* phase 2 (room again): every event spooled (a WARNING says how many were lost meanwhile);
* the half-written entry of phase 1 was cut back: the spool holds exactly the phase 0 and 2
  entries, no damaged line, no torn tail; ``spark-lineage replay`` delivers exactly those.
"""

from __future__ import annotations

import re
import resource
import uuid
from pathlib import Path

import neo4j
import pytest
from fault_helpers import (
    closed_port,
    count_graph,
    count_spool,
    health_sink_errors,
    steered_job,
    wait_until,
)
from graph_inspect import delete_scope
from reliability_helpers import cli_env, figure, run_cli

from spark_lineage.sinks.spool import SPOOL_SUFFIX

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.neo4j]

PHASES = [2, 3, 2]  # room, no room, room again


def test_a_full_spool_loses_events_loudly_and_exactly_and_recovers_when_room_is_back(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    namespace = f"rel-full-{uuid.uuid4().hex[:8]}"
    with steered_job(
        tmp_path,
        PHASES,
        {
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.namespace": namespace,
            "spark.lineage.warn.interval": "0",  # every failure logged: the test polls for them
            "spark.lineage.neo4j.uri": f"bolt://127.0.0.1:{closed_port()}",
            "spark.lineage.neo4j.connection.timeout": "0.5",
            "spark.lineage.neo4j.retry.max": "1",
        },
        {"SPARK_LINEAGE_SPOOL_DIR": str(spool)},
    ) as job:
        driver = job.driver_pid()
        job.go(0)
        wait_until(lambda: len(count_spool(spool).entries) == PHASES[0], 180,
                   "the phase 0 events in the spool")
        (spool_file,) = spool.glob(f"*{SPOOL_SUFFIX}")
        size_before = spool_file.stat().st_size
        soft, hard = resource.prlimit(driver, resource.RLIMIT_FSIZE)
        resource.prlimit(driver, resource.RLIMIT_FSIZE, (size_before + 300, hard))

        job.go(1)
        wait_until(lambda: f"({PHASES[1]} failure(s) so far)" in job.output(), 120,
                   "the phase 1 events to be refused by the spool")
        size_full = spool_file.stat().st_size
        resource.prlimit(driver, resource.RLIMIT_FSIZE, (soft, hard))

        job.go(2)
        code = job.wait(180)
        output = job.output()
        written = job.written()

    assert code == 0, output[-4000:]
    assert f"DONE {sum(PHASES)}" in output
    assert size_full == size_before, "a refused entry was left (partly) in the spool file"
    on_disk = count_spool(spool)
    phase0 = [f"p0-q{i}" for i in range(PHASES[0])]
    phase1 = [f"p1-q{i}" for i in range(PHASES[1])]
    phase2 = [f"p2-q{i}" for i in range(PHASES[2])]
    assert written == phase0 + phase1 + phase2, "the job itself must not notice the full disk"
    assert on_disk.entries == phase0 + phase2, on_disk
    assert on_disk.corrupt_lines == 0 and on_disk.torn_tails == 0, on_disk

    lost_lines = [line for line in output.splitlines() if "LOST the lineage event" in line]
    assert len(lost_lines) == 1, lost_lines  # one ERROR per run of losses, not one per event
    assert "ERROR" in lost_lines[0] and str(spool) in lost_lines[0]
    assert "File too large" in lost_lines[0] or "No space left" in lost_lines[0]
    assert re.search(rf"takes events again after {PHASES[1]} lost one\(s\)", output), output[-3000:]
    assert health_sink_errors(output) == PHASES[1], "every lost event must be counted"

    env = cli_env(neo4j_uri, neo4j_auth, tmp_path, {"SPARK_LINEAGE_SPOOL_DIR": str(spool)})
    replay = run_cli(["replay"], env)
    try:
        graph = count_graph(neo4j_uri, neo4j_auth, namespace)
    finally:
        with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as session_driver:
            delete_scope(session_driver, f"file::{tmp_path}", f"{namespace}::")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"delivered {len(phase0 + phase2)} event(s), 0 remaining" in replay.stdout
    assert "damaged" not in replay.stderr and "incomplete entry" not in replay.stderr
    assert graph.queries == sorted(phase0 + phase2)
    assert graph.applied == [1] * len(phase0 + phase2)

    figure("disk full: events spooled before / lost while full / spooled after",
           f"{PHASES[0]} / {PHASES[1]} / {PHASES[2]}")
    figure("disk full: sink_errors in the health line", health_sink_errors(output))
    figure("disk full: events delivered by replay (each applied once)", graph.runs)
    figure("disk full: spool file bytes before / after the refused writes",
           f"{size_before} / {size_full}")
