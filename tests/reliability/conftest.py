"""Fixtures of the fault tests that put a misbehaving network path in front of the real Neo4j."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import neo4j
import pytest
from fault_helpers import FaultyProxy
from graph_inspect import delete_scope


@pytest.fixture
def proxy(neo4j_uri: str) -> Iterator[FaultyProxy]:
    """A :class:`FaultyProxy` to the test Neo4j, closed after the test."""
    target = urlparse(neo4j_uri)
    with FaultyProxy(target.hostname or "127.0.0.1", target.port or 7687) as instance:
        yield instance


@pytest.fixture
def namespace(
    request: pytest.FixtureRequest, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> Iterator[str]:
    """A job namespace of the test's own; its runs and the test's datasets are deleted after."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_reliability_")
    name = f"rel-{module.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    yield name
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delete_scope(driver, f"file::{tmp_path}", f"{name}::")
