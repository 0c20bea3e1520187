"""Connection failures read as what they are, without a Neo4j server (plain sockets only)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from spark_lineage.graph.connection import DriverOptions, describe_failure, open_driver
from spark_lineage.graph.settings import Neo4jSettings


@pytest.fixture
def plain_tcp_port() -> Iterator[int]:
    """A TCP server that reads a little and hangs up: what a server without TLS does to TLS."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    conn.recv(1024)

    threading.Thread(target=serve, daemon=True).start()
    yield int(server.getsockname()[1])
    stop.set()
    server.close()


def _failure(settings: Neo4jSettings) -> str:
    with (
        open_driver(settings, DriverOptions(connection_timeout_s=2.0)) as driver,
        pytest.raises(Exception) as error,
    ):
        driver.verify_connectivity()
    return describe_failure(error.value, settings)


def test_tls_against_a_server_without_tls_says_so(plain_tcp_port: int) -> None:
    message = _failure(Neo4jSettings(uri=f"bolt+s://127.0.0.1:{plain_tcp_port}", password="pw"))
    assert message.startswith(f"TLS handshake with bolt+s://127.0.0.1:{plain_tcp_port} failed")
    assert "does not seem to have TLS enabled" in message


def test_a_refused_connection_points_at_host_and_port() -> None:
    message = _failure(Neo4jSettings(uri="bolt://127.0.0.1:9", password="pw"))
    assert message.startswith("connection refused by bolt://127.0.0.1:9")


def test_a_one_letter_password_does_not_mangle_the_driver_message(plain_tcp_port: int) -> None:
    # A plain TCP server that hangs up: the driver says "Couldn't connect to ...".
    message = _failure(Neo4jSettings(uri=f"bolt://127.0.0.1:{plain_tcp_port}", password="o"))
    assert message.startswith(f"cannot reach Neo4j at bolt://127.0.0.1:{plain_tcp_port}: ")
    assert "Couldn't connect to" in message and "*" not in message


def test_a_driver_configuration_error_is_not_repeated_as_it_quotes_the_uri() -> None:
    # A duplicated query parameter: the driver refuses it, quoting the query string.
    settings = Neo4jSettings(uri="neo4j://127.0.0.1:9?password=s3cret-pw&password=again")
    with pytest.raises(Exception) as refused:
        open_driver(settings)
    assert "s3cret-pw" in str(refused.value)
    assert describe_failure(refused.value, settings) == (
        "the driver refuses the Neo4j settings for "
        "neo4j://127.0.0.1:9?password=***&password=*** (check the URI)"
    )
