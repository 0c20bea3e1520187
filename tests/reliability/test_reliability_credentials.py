"""Credentials never leak, TLS with a self-signed certificate works, and what Community Neo4j
allows for least privilege.

A recognisable password (a fresh Neo4j user created for the test, so the *right* password is
also unguessable) is given once through ``SPARK_LINEAGE_NEO4J_PASSWORD`` (a real spark-submit)
and once through ``spark.lineage.neo4j.password`` (``attach`` on the shared session), against a
closed port (everything is spooled, errors are logged) and against the real server over
``bolt+ssc://``. Everything produced is then grepped for it: the driver's stdout/stderr (JVM
output included), the agent's and the Neo4j driver's DEBUG logs, the OpenLineage file, every
file of the spool and the output of ``spark-lineage doctor``.

``test_neo4j_doctor.py`` already checks that a wrong password is named as such and not shown.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from neo4j.exceptions import ClientError
from reliability_helpers import cli_env, figure, run_cli

from spark_lineage.agent import DisabledAgent, attach, detach

pytestmark = [pytest.mark.reliability, pytest.mark.neo4j]

SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
JOBS = Path(__file__).resolve().parents[1] / "jobs"
TLS_URI = os.environ.get("SPARK_LINEAGE_TEST_NEO4J_TLS_URI")


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture(scope="module")
def secret_user(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[tuple[str, str]]:
    """A Neo4j user whose password is a recognisable, unique string (dropped afterwards)."""
    name = f"rel_{uuid.uuid4().hex[:8]}"
    password = f"Pw-{uuid.uuid4().hex}-LEAK-CANARY"
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        driver.execute_query(
            "CREATE USER $name SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
            name=name, password=password, database_="system",
        )
        try:
            yield name, password
        finally:
            driver.execute_query("DROP USER $name IF EXISTS", name=name, database_="system")


def _files_containing(root: Path, secret: str) -> list[str]:
    needle = secret.encode()
    return [
        str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()
    ]


def _spooled_files(spool: Path) -> list[Path]:
    return [p for p in spool.rglob("*") if p.is_file() and p.stat().st_size > 0]


@pytest.mark.integration
def test_a_password_from_the_environment_never_appears_in_anything_a_job_produces(
    neo4j_uri: str, neo4j_auth: tuple[str, str], secret_user: tuple[str, str], tmp_path: Path
) -> None:
    user, secret = secret_user
    spool, events = tmp_path / "spool", tmp_path / "lineage.jsonl"
    wrong = f"bolt://127.0.0.1:{_closed_port()}"
    namespace = f"rel-env-{uuid.uuid4().hex[:8]}"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPARK_LINEAGE_")},
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LINEAGE_NEO4J_USER": user,
        "SPARK_LINEAGE_NEO4J_PASSWORD": secret,
        "SPARK_LINEAGE_SPOOL_DIR": str(spool),
    }
    result = subprocess.run(
        [
            str(SPARK_SUBMIT), "--master", "local[1]",
            "--conf", "spark.ui.enabled=false",
            "--conf", "spark.sql.shuffle.partitions=1",
            "--conf", "spark.lineage.enabled=true",
            "--conf", "spark.lineage.sinks=neo4j,openlineage",
            "--conf", f"spark.lineage.namespace={namespace}",
            "--conf", f"spark.lineage.neo4j.uri={wrong}",
            "--conf", "spark.lineage.neo4j.connection.timeout=0.5",
            "--conf", f"spark.lineage.openlineage.path={events}",
            "--conf", "spark.lineage.log.level=DEBUG",
            str(JOBS / "simple_job.py"), str(tmp_path / "work"),
        ],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=420, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "DONE 2" in result.stdout
    assert events.exists() and events.read_text().strip()
    assert _spooled_files(spool), "Neo4j was down: the events must be in the spool"
    assert "connection refused" in output.lower() or "spool" in output.lower()

    doctor_down = run_cli(
        ["doctor"],
        cli_env(wrong, (user, secret), tmp_path, {"SPARK_LINEAGE_SPOOL_DIR": str(spool)}),
    )
    replay = run_cli(
        ["replay"],
        cli_env(neo4j_uri, (user, secret), tmp_path, {"SPARK_LINEAGE_SPOOL_DIR": str(spool)}),
    )
    doctor_up = run_cli(
        ["doctor"],
        cli_env(neo4j_uri, (user, secret), tmp_path, {"SPARK_LINEAGE_SPOOL_DIR": str(spool)}),
    )

    assert doctor_down.returncode == 1 and "FAIL" in doctor_down.stdout
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert doctor_up.returncode == 0, doctor_up.stdout + doctor_up.stderr
    produced = {
        "spark-submit stdout+stderr": output,
        "doctor (Neo4j down)": doctor_down.stdout + doctor_down.stderr,
        "replay": replay.stdout + replay.stderr,
        "doctor (Neo4j up)": doctor_up.stdout + doctor_up.stderr,
    }
    for what, text in produced.items():
        assert secret not in text, f"the password leaked into {what}"
    assert _files_containing(tmp_path, secret) == []
    figure("credential grep: bytes of output searched", sum(len(t) for t in produced.values()))
    figure("credential grep: files searched", sum(1 for p in tmp_path.rglob("*") if p.is_file()))
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delivered = driver.execute_query(
            "MATCH (r:Run) WHERE r.job_key STARTS WITH $jobs RETURN count(r) AS runs",
            jobs=f"{namespace}::",
        ).records[0]["runs"]
        delete_scope(driver, f"file::{tmp_path}", f"{namespace}::")
    assert delivered >= 2, "replay did not deliver the spooled events"


@pytest.mark.integration
@pytest.mark.skipif(not TLS_URI, reason="SPARK_LINEAGE_TEST_NEO4J_TLS_URI is not set")
def test_a_password_in_the_spark_conf_never_appears_and_tls_bolt_writes_lineage(
    spark: Any,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    secret_user: tuple[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert TLS_URI is not None
    user, secret = secret_user
    namespace = f"rel-tls-{uuid.uuid4().hex[:8]}"
    caplog.set_level(logging.DEBUG)  # the agent's and the Neo4j driver's DEBUG logs too
    outputs: list[str] = []
    for label, uri in (("closed port", f"bolt://127.0.0.1:{_closed_port()}"), ("tls", TLS_URI)):
        run_dir = tmp_path / label.replace(" ", "-")
        agent = attach(
            spark,
            {
                "spark.lineage.sinks": "neo4j,openlineage",
                "spark.lineage.namespace": namespace,
                "spark.lineage.neo4j.uri": uri,
                "spark.lineage.neo4j.user": user,
                "spark.lineage.neo4j.password": secret,
                "spark.lineage.neo4j.connection.timeout": "1",
                "spark.lineage.neo4j.spool.dir": str(run_dir / "spool"),
                "spark.lineage.openlineage.path": str(run_dir / "events.jsonl"),
                "spark.lineage.log.level": "DEBUG",
            },
        )
        try:
            assert not isinstance(agent, DisabledAgent), agent.reason
            outputs.append(repr(agent) + agent.sinks.describe())
            spark.range(3).withColumnRenamed("id", "n").write.parquet(str(run_dir / "out"))
            agent.flush(30)
            outputs.append(agent.health().log_line())
        finally:
            detach(spark, 30)
        if label == "closed port":
            assert _spooled_files(run_dir / "spool"), "nothing was spooled with Neo4j down"
    captured = capfd.readouterr()
    produced = {"logs": caplog.text, "stdout": captured.out, "stderr": captured.err,
                "agent repr/describe/health": "\n".join(outputs)}
    for what, text in produced.items():
        assert secret not in text, f"the password leaked into {what}"
    assert _files_containing(tmp_path, secret) == []
    assert "Neo4j" in caplog.text or "neo4j" in caplog.text  # the logs were really captured

    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        try:
            runs = driver.execute_query(
                "MATCH (r:Run) WHERE r.job_key STARTS WITH $jobs RETURN count(r) AS runs",
                jobs=f"{namespace}::",
            ).records[0]["runs"]
            columns = driver.execute_query(
                "MATCH (:Dataset {name: $out})-[:HAS_COLUMN]->(c:Column {name: 'n'}) "
                "RETURN count(c) AS columns",
                out=str(tmp_path / "tls" / "out"),
            ).records[0]["columns"]
            assert runs >= 1 and columns == 1, "no lineage arrived over bolt+ssc://"
        finally:
            delete_scope(driver, f"file::{tmp_path}", f"{namespace}::")
    figure("credential grep (conf password): log bytes searched", len(caplog.text))


def test_community_neo4j_has_no_privileges_so_an_extra_user_has_full_rights(
    neo4j_uri: str, secret_user: tuple[str, str]
) -> None:
    """What Community allows: a separate login for the agent, but no GRANT (RELIABILITY.md lists
    the grants an Enterprise deployment gives that user instead)."""
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=secret_user) as driver:
        created = driver.execute_query(
            "CREATE (p:ReliabilityProbe {id: $id}) RETURN p.id AS id", id=uuid.uuid4().hex
        ).records
        assert len(created) == 1  # no privileges in Community: the extra user can write
        driver.execute_query("MATCH (p:ReliabilityProbe) DETACH DELETE p")
        with pytest.raises(ClientError) as refused:
            driver.execute_query(
                "GRANT MATCH {*} ON GRAPH neo4j NODES Dataset TO reader", database_="system"
            )
    assert "Unsupported" in (refused.value.code or "") or "not supported" in str(refused.value)
