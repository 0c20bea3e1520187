"""Two Spark applications write one Delta table: each write resolves to the commit it created.

Apps A and B (tests/fixtures/delta/concurrent_writer.py, separate processes and JVMs) take turns
on a path table: A appends (v1), B appends (v2), A updates its rows (v3), B merges new rows
through the DeltaTable API (v4), A deletes through the DeltaTable API (v5), B appends (v6). Then
they overlap: A starts a slow append whose task waits until B has committed an append with the
same operation and parameters (v7); A commits afterwards (v8). Only when everything is written
does each app resolve its writes, so "latest version" (8) would be wrong for all but one.

Ground truth is the data: between version v-1 and v, only the rows of the app that created v
change, and DESCRIBE HISTORY names the operation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WRITER_APP = Path(__file__).parents[1] / "fixtures" / "delta" / "concurrent_writer.py"
SCHEDULE = [
    ["A", "append", 1],
    ["B", "append", 1],
    ["A", "update", 1],
    ["B", "merge", 2],
    ["A", "delete", 1],
    ["B", "append", 3],
]
OPERATION = {"append": "WRITE", "update": "UPDATE", "merge": "MERGE", "delete": "DELETE"}


def start_app(name: str, table: str, workdir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    out = workdir / f"{name}.out"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    with out.open("wb") as stdout, (workdir / f"{name}.err").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(WRITER_APP), name, table, str(workdir), json.dumps(SCHEDULE)],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
    return process, out


def wait_ready(process: subprocess.Popen[bytes], out: Path, workdir: Path) -> None:
    deadline = time.time() + 240
    while "READY" not in out.read_text():
        if process.poll() is not None or time.time() > deadline:
            err = (workdir / f"{out.stem}.err").read_text()[-3000:]
            pytest.fail(f"writer {out.stem} did not start: {err}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def interleaved(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[dict[str, Any]]]:
    """Run both apps to completion; the table path and every RESULT record they printed."""
    workdir = tmp_path_factory.mktemp("concurrent")
    table = str(workdir / "shared")
    spark.createDataFrame([("init", 0, 0)], "writer string, seq int, id long").write.format(
        "delta"
    ).save(table)

    apps = {}
    try:
        for name in ("A", "B"):  # one after the other: they share the ivy cache on startup
            apps[name] = start_app(name, table, workdir)
            wait_ready(*apps[name], workdir)
        (workdir / "turn-0").touch()
        for name, (process, _) in apps.items():
            try:
                process.wait(timeout=420)
            except subprocess.TimeoutExpired:
                pytest.fail(f"writer {name} hung: {(workdir / f'{name}.err').read_text()[-3000:]}")
            assert process.returncode == 0, (workdir / f"{name}.err").read_text()[-3000:]
    finally:
        for process, _ in apps.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    results = [
        json.loads(line.removeprefix("RESULT "))
        for _, out in apps.values()
        for line in out.read_text().splitlines()
        if line.startswith("RESULT ")
    ]
    return table, results


def rows_at(spark: Any, table: str, version: int) -> set[tuple[str, int, int]]:
    df = spark.read.format("delta").option("versionAsOf", version).load(table)
    return {(r.writer, r.seq, r.id) for r in df.collect()}


def writers_changed(spark: Any, table: str, version: int) -> set[str]:
    """Whose rows differ between ``version - 1`` and ``version``: the data's ground truth."""
    before, after = rows_at(spark, table, version - 1), rows_at(spark, table, version)
    return {writer for writer, _, _ in before ^ after}


def test_every_write_reports_exactly_one_delta_write(
    interleaved: tuple[str, list[dict[str, Any]]],
) -> None:
    _, results = interleaved
    assert len(results) == len(SCHEDULE) + 2
    assert all(r["writes_in_step"] == 1 for r in results)


def test_interleaved_writes_resolve_to_the_versions_their_app_created(
    spark: Any, interleaved: tuple[str, list[dict[str, Any]]]
) -> None:
    table, results = interleaved
    history = {
        r.version: r.operation for r in spark.sql(f"DESCRIBE HISTORY delta.`{table}`").collect()
    }
    in_turns = sorted((r for r in results if r["step"] != "overlap"), key=lambda r: int(r["step"]))

    resolved = [(r["writer"], r["kind"], r["status"], r["version"]) for r in in_turns]
    assert resolved == [
        ("A", "append", "exact", 1),
        ("B", "append", "exact", 2),
        ("A", "update", "exact", 3),
        ("B", "merge", "exact", 4),
        ("A", "delete", "exact", 5),
        ("B", "append", "exact", 6),
    ]
    for record in in_turns:
        assert history[record["version"]] == OPERATION[record["kind"]]
        assert writers_changed(spark, table, record["version"]) == {record["writer"]}
        assert record["latest_at_resolution"] == 8  # what "latest version" would have claimed


def test_indistinguishable_overlapping_appends_are_ambiguous_not_guessed(
    spark: Any, interleaved: tuple[str, list[dict[str, Any]]]
) -> None:
    table, results = interleaved
    overlap = {r["writer"]: r for r in results if r["step"] == "overlap"}

    # B ran entirely inside A's window and committed first: B is exact...
    assert (overlap["B"]["status"], overlap["B"]["version"]) == ("exact", 7)
    assert writers_changed(spark, table, 7) == {"B"}
    # ...A's window holds both identical appends, so A names both and claims neither.
    assert overlap["A"]["status"] == "ambiguous"
    assert overlap["A"]["version"] is None
    assert overlap["A"]["candidates"] == [7, 8]
    assert writers_changed(spark, table, 8) == {"A"}  # the truth lies among the candidates
