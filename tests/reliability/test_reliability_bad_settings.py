"""Every ``spark.lineage.*`` setting with a wrong value: one clear log line naming the key, the
agent off, the job unaffected.

The keys come from ``spark_lineage/config.py`` (``CORE_KEYS``) and the sinks' settings
(``openlineage``: path, fsync; ``console``: stream, format; ``neo4j``: uri, user, password,
database, spool.dir, connection.timeout, retry.max, batch.size). ``capture.*`` is reserved and
accepted as it is (docs/agent.md), so it has no wrong value yet. Each case attaches to the shared
session with ``attach(spark, conf={...})`` and runs a query afterwards; one case goes through a
real ``spark-submit``. ``test_agent_runtime.py`` already checks ``queue.size=lots`` alone.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import figure

from spark_lineage.agent import DisabledAgent, attach, detach
from spark_lineage.config import CORE_KEYS

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
JOBS = Path(__file__).resolve().parents[1] / "jobs"

#: (full key, wrong value, words the one log line must contain besides the key).
BAD_VALUES: list[tuple[str, str, str]] = [
    ("spark.lineage.enabled", "maybe", "must be true or false"),
    ("spark.lineage.sinks", "neo4j,carrier-pigeon", "unknown sink 'carrier-pigeon'"),
    ("spark.lineage.sinks", "neo4j;drop", "invalid sink name"),
    ("spark.lineage.namespace", "   ", "must not be blank"),
    ("spark.lineage.queue.size", "0", "between 1 and 1000000"),
    ("spark.lineage.queue.size", "10000000", "between 1 and 1000000"),
    ("spark.lineage.queue.size", "1e3", "must be an integer"),
    ("spark.lineage.flush.timeout", "soon", "must be a number"),
    ("spark.lineage.flush.timeout", "-1", "at least 0"),
    ("spark.lineage.flush.timeout", "nan", "at least 0"),
    ("spark.lineage.warn.interval", "often", "must be a number"),
    ("spark.lineage.warn.interval", "-5", "at least 0"),
    ("spark.lineage.emit.readOnly", "sometimes", "must be true or false"),
    ("spark.lineage.log.level", "LOUD", "must be one of DEBUG, INFO, WARNING, ERROR"),
    ("spark.lineage.application", "  ", "must not be blank"),
    ("spark.lineage.lake.root", "", "must not be blank"),
    ("spark.lineage.model.name", " ", "must not be blank"),
    ("spark.lineage.model.version", "", "must not be blank"),
    ("spark.lineage.profile.jvm", "yes please", "must be true or false"),
    ("spark.lineage.queue.sise", "10", "no sink type 'queue'"),
    ("spark.lineage.enable", "true", "did you mean spark.lineage.enabled"),
    ("spark.lineage.openlineage.fsync", "always", "must be true or false"),
    ("spark.lineage.openlineage.pth", "/tmp/x.jsonl", "spark.lineage.openlineage.pth"),
    ("spark.lineage.console.stream", "printer", "must be one of"),
    ("spark.lineage.console.format", "xml", "must be one of"),
    ("spark.lineage.neo4j.uri", "http://127.0.0.1:7474", "bolt://"),
    ("spark.lineage.neo4j.uri", "bolt://", "has no host"),
    ("spark.lineage.neo4j.uri", "bolt://neo4j:hunter2@127.0.0.1:7687", "must not carry"),
    ("spark.lineage.neo4j.connection.timeout", "fast", "must be a number"),
    ("spark.lineage.neo4j.connection.timeout", "0", "at least 0.1"),
    ("spark.lineage.neo4j.retry.max", "-1", "at least 0"),
    ("spark.lineage.neo4j.batch.size", "0", ""),
    ("spark.lineage.neo4j.batch.size", "many", ""),
    ("spark.lineage.neo4j.bacth.size", "10", "spark.lineage.neo4j.bacth.size"),
    ("spark.lineage.neo4jj.uri", "bolt://127.0.0.1:7687", "no sink type 'neo4jj'"),
]


def test_every_core_key_has_a_wrong_value_case() -> None:
    covered = {key.removeprefix("spark.lineage.") for key, _, _ in BAD_VALUES}
    assert set(CORE_KEYS) <= covered
    figure("bad-setting cases (attach)", len(BAD_VALUES))


@pytest.fixture
def base_conf(tmp_path: Path, neo4j_uri: str) -> dict[str, str]:
    """A valid configuration the bad value is added to (so only that key is wrong)."""
    return {
        "spark.lineage.openlineage.path": str(tmp_path / "events.jsonl"),
        "spark.lineage.neo4j.uri": neo4j_uri,
        "spark.lineage.neo4j.spool.dir": str(tmp_path / "spool"),
    }


@pytest.fixture
def detached(spark: Any) -> Iterator[None]:
    yield
    detach(spark, 30)


@pytest.mark.parametrize(
    ("key", "value", "words"), BAD_VALUES, ids=[f"{k}={v!r}" for k, v, _ in BAD_VALUES]
)
def test_a_wrong_value_is_one_log_line_naming_the_key_and_the_job_runs_on(
    spark: Any,
    base_conf: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    detached: None,
    key: str,
    value: str,
    words: str,
) -> None:
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(spark, {**base_conf, key: value})

    rows = spark.range(5).selectExpr("id * 2 AS twice").collect()

    assert isinstance(agent, DisabledAgent), f"{key}={value!r} was accepted"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    (line,) = errors
    assert "\n" not in line
    assert key in line, line
    assert words in line, line
    assert "disabled" in line
    assert [r.twice for r in rows] == [0, 2, 4, 6, 8]
    assert not (tmp_path / "events.jsonl").exists()


def test_a_wrong_value_from_the_environment_names_the_conf_key(
    spark: Any,
    base_conf: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    detached: None,
) -> None:
    monkeypatch.setenv("SPARK_LINEAGE_QUEUE_SIZE", "plenty")
    caplog.set_level(logging.INFO, logger="spark_lineage")

    agent = attach(spark, base_conf)
    assert spark.range(3).count() == 3

    assert isinstance(agent, DisabledAgent)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "spark.lineage.queue.size must be an integer" in errors[0]


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def test_an_unwritable_spool_with_neo4j_down_loses_events_loudly_not_the_job(
    spark: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    detached: None,
) -> None:
    """The spool is created lazily, so a spool.dir under a regular file is only found out when
    Neo4j is down and an event must be spooled: that event is lost, counted and logged with the
    spool directory, and the job goes on (the one loss case the sink contract names)."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    caplog.set_level(logging.INFO, logger="spark_lineage")
    agent = attach(
        spark,
        {
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.neo4j.uri": f"bolt://127.0.0.1:{_closed_port()}",
            "spark.lineage.neo4j.connection.timeout": "0.5",
            "spark.lineage.neo4j.spool.dir": str(blocker / "spool"),
        },
    )
    assert not isinstance(agent, DisabledAgent)

    spark.range(4).write.mode("overwrite").parquet(str(tmp_path / "out"))
    assert spark.read.parquet(str(tmp_path / "out")).count() == 4
    agent.flush(30)
    health = agent.health()
    agent.close(10)

    lost = sum(n for sink, n in health.sink_errors.items() if sink.endswith("neo4j"))
    assert lost == health.processed == 2, health  # the write and the read-back count
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("spool" in m and str(blocker) in m for m in messages), messages
    figure("unwritable spool: events lost and counted", health.sink_errors)


def test_a_valid_neo4j_batch_size_is_accepted(
    spark: Any, base_conf: dict[str, str], detached: None
) -> None:
    agent = attach(spark, {**base_conf, "spark.lineage.neo4j.batch.size": "500"})
    assert spark.range(2).count() == 2
    assert not isinstance(agent, DisabledAgent), getattr(agent, "reason", "")


def test_spark_submit_with_a_wrong_value_runs_the_job_and_says_why_once(tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPARK_LINEAGE_")},
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    result = subprocess.run(
        [
            str(SPARK_SUBMIT),
            "--master",
            "local[1]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.sql.shuffle.partitions=1",
            "--conf",
            "spark.lineage.enabled=true",
            "--conf",
            "spark.lineage.flush.timeout=soon",
            str(JOBS / "simple_job.py"),
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "DONE 2" in result.stdout
    lines = [line for line in output.splitlines() if "spark-lineage: disabled" in line]
    assert len(lines) == 1, lines
    assert "spark.lineage.flush.timeout must be a number" in lines[0]
    assert not (tmp_path / "spark-lineage-events").exists()
    assert "spark-lineage health" not in output
