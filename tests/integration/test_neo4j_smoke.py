"""The local Neo4j that the tests run against is a real server reachable over Bolt.

These cases pin down what every other Neo4j test relies on: ``scripts/test.sh`` started a server,
the credentials it exported log in, writes are durable within the server, wrong credentials are
refused, and (when the run started one) TLS with the self-signed certificate works.
"""

from __future__ import annotations

import os
import uuid

import pytest
from neo4j import Driver, GraphDatabase, TrustCustomCAs
from neo4j.exceptions import AuthError

pytestmark = pytest.mark.neo4j



def test_a_node_written_with_parameters_reads_back_and_deletes(driver: Driver) -> None:
    key = f"smoke-{uuid.uuid4()}"
    properties = {"name": "orders.amount", "type": "decimal(10,2)", "ordinal": 3}

    driver.execute_query(
        "CREATE (n:SmokeTest {key: $key}) SET n += $properties",
        key=key,
        properties=properties,
    )
    records, _, _ = driver.execute_query(
        "MATCH (n:SmokeTest {key: $key}) RETURN n.name AS name, n.type AS type, "
        "n.ordinal AS ordinal",
        key=key,
    )
    assert [record.data() for record in records] == [properties]

    summary = driver.execute_query("MATCH (n:SmokeTest {key: $key}) DELETE n", key=key).summary
    assert summary.counters.nodes_deleted == 1
    records, _, _ = driver.execute_query(
        "MATCH (n:SmokeTest {key: $key}) RETURN count(n) AS n", key=key
    )
    assert records[0]["n"] == 0


def test_the_server_is_neo4j_5_26(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions RETURN name, versions[0] AS version"
    )
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["version"].startswith("5.26.")


def test_a_wrong_password_is_refused(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> None:
    user, password = neo4j_auth
    with (
        GraphDatabase.driver(neo4j_uri, auth=(user, password + "-wrong")) as drv,
        pytest.raises(AuthError),
    ):
        drv.verify_connectivity()


@pytest.fixture
def tls_uri() -> str:
    uri = os.environ.get("SPARK_LINEAGE_TEST_NEO4J_TLS_URI")
    if not uri:
        pytest.skip("this run's Neo4j has no TLS (SPARK_LINEAGE_TEST_NEO4J_TLS_URI unset)")
    return uri


def test_bolt_over_tls_with_the_self_signed_certificate(
    tls_uri: str, neo4j_auth: tuple[str, str]
) -> None:
    with GraphDatabase.driver(tls_uri, auth=neo4j_auth) as drv:
        records, _, _ = drv.execute_query("RETURN 1 AS one")
        assert records[0]["one"] == 1
        assert drv.encrypted


def test_bolt_over_tls_verifies_the_certificate_when_trusted_explicitly(
    tls_uri: str, neo4j_auth: tuple[str, str]
) -> None:
    cert = os.environ.get("SPARK_LINEAGE_TEST_NEO4J_TLS_CERT")
    if not cert:
        pytest.skip("SPARK_LINEAGE_TEST_NEO4J_TLS_CERT unset")
    port = tls_uri.rsplit(":", 1)[1]
    # The certificate names localhost and 127.0.0.1, so full verification must pass.
    with GraphDatabase.driver(
        f"bolt://localhost:{port}",
        auth=neo4j_auth,
        encrypted=True,
        trusted_certificates=TrustCustomCAs(cert),
    ) as drv:
        drv.verify_connectivity()
