"""``spark-lineage doctor`` and connection failures against the real server: each reads clearly.

TLS cases use the test server's TLS endpoint (``SPARK_LINEAGE_TEST_NEO4J_TLS_URI``, a
self-signed certificate, set by ``scripts/test.sh``) and are skipped when it is not configured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.doctor import DoctorCheck, doctor
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import AppContext, EventType, LineageEvent

pytestmark = pytest.mark.neo4j

TLS_URI = os.environ.get("SPARK_LINEAGE_TEST_NEO4J_TLS_URI")
needs_tls = pytest.mark.skipif(not TLS_URI, reason="the test server has no TLS endpoint here")


def _checks(settings: Neo4jSettings, tmp_path: Path) -> dict[str, DoctorCheck]:
    return {check.name: check for check in doctor(settings, tmp_path / "spool")}


def test_doctor_passes_on_a_healthy_set_up(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("")
    env = {**os.environ, "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
           "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
           "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1], "SPARK_LINEAGE_CONFIG": str(config),
           "SPARK_LINEAGE_SPOOL_DIR": str(tmp_path / "spool")}
    subprocess.run([sys.executable, "-m", "spark_lineage.cli", "schema", "init"], env=env,
                   check=True, capture_output=True, timeout=120)
    result = subprocess.run([sys.executable, "-m", "spark_lineage.cli", "doctor"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "[ok] configuration", "[ok] connection", "[ok] schema", "[ok] spool",
    ]
    assert "reached Neo4j/5." in lines[1]
    assert neo4j_auth[1] not in result.stdout + result.stderr


def test_a_wrong_password_is_named_as_such_and_not_shown(
    neo4j_uri: str, tmp_path: Path
) -> None:
    wrong = "definitely-not-the-password-" + uuid.uuid4().hex[:6]
    checks = _checks(Neo4jSettings(uri=neo4j_uri, user="neo4j", password=wrong), tmp_path)
    assert not checks["connection"].ok
    assert checks["connection"].detail.startswith("authentication failed for user 'neo4j'")
    assert wrong not in " ".join(c.detail for c in checks.values())


def test_a_wrong_host_and_a_closed_port_are_told_apart(tmp_path: Path) -> None:
    unknown = _checks(Neo4jSettings(uri="bolt://no-such-host.invalid:7687", password="x"),
                      tmp_path)
    assert unknown["connection"].detail.startswith("cannot resolve the host")
    refused = _checks(Neo4jSettings(uri="bolt://127.0.0.1:9", password="x"), tmp_path)
    assert refused["connection"].detail.startswith("connection refused by bolt://127.0.0.1:9")


@needs_tls
@pytest.mark.parametrize("scheme", ["bolt+ssc", "neo4j+ssc"])
def test_tls_with_a_self_signed_certificate_works(
    scheme: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    assert TLS_URI is not None
    uri = TLS_URI.replace("bolt+ssc", scheme)
    checks = _checks(Neo4jSettings(uri=uri, user=neo4j_auth[0], password=neo4j_auth[1]),
                     tmp_path)
    assert checks["connection"].ok, checks["connection"].detail
    assert "(TLS on)" in checks["connection"].detail


@needs_tls
def test_an_untrusted_certificate_is_explained(
    neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    assert TLS_URI is not None
    uri = TLS_URI.replace("bolt+ssc", "bolt+s")
    checks = _checks(Neo4jSettings(uri=uri, user=neo4j_auth[0], password=neo4j_auth[1]),
                     tmp_path)
    assert checks["connection"].detail.startswith("the TLS certificate of")
    assert "bolt+ssc://" in checks["connection"].detail


@needs_tls
def test_lineage_is_written_over_tls(neo4j_auth: tuple[str, str]) -> None:
    assert TLS_URI is not None
    jobs_ns = f"itest-{uuid.uuid4().hex[:12]}"
    event = LineageEvent(
        run_id=f"{jobs_ns}-tls", event_type=EventType.COMPLETE, job_namespace=jobs_ns,
        job_name="tls", event_time_ms=1, started_at_ms=1, ended_at_ms=1,
        app=AppContext("app", "tls"),
    )
    with neo4j.GraphDatabase.driver(TLS_URI, auth=neo4j_auth) as driver:
        try:
            assert not GraphWriter(driver).write(event).already_applied
            assert GraphWriter(driver).write(event).already_applied
        finally:
            delete_scope(driver, "file::/none-", f"{jobs_ns}::")


def test_no_password_is_said_as_not_set_by_the_password_and_connection_checks(
    neo4j_uri: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    checks = _checks(Neo4jSettings(uri=neo4j_uri, config_path=config), tmp_path)

    not_set = (
        f"the password is NOT SET (set SPARK_LINEAGE_NEO4J_PASSWORD, [neo4j] password in {config}"
    )
    assert not checks["password"].ok and checks["password"].detail.startswith(not_set)
    assert not checks["connection"].ok
    wrong = f"wrong user or password for neo4j at {neo4j_uri}"
    assert checks["connection"].detail.startswith(wrong)
    assert not_set in checks["connection"].detail
