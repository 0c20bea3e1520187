"""The Neo4j sink without a server: settings, and spooling while nothing answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from graph_builders import report_event

from spark_lineage.config import ConfigError
from spark_lineage.graph.connection import DriverOptions
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.sinks.base import SinkSettings
from spark_lineage.sinks.neo4j import Neo4jSink
from spark_lineage.sinks.registry import sink_class
from spark_lineage.sinks.spool import Spool


def test_the_registry_finds_the_neo4j_sink() -> None:
    assert sink_class("neo4j") is Neo4jSink


def test_settings_come_from_spark_conf_and_the_password_from_the_environment(
    tmp_path: Path,
) -> None:
    sink = Neo4jSink.from_settings(SinkSettings(
        "neo4j",
        {"uri": "neo4j+s://graph.example:7687", "database": "lineage",
         "spool.dir": str(tmp_path)},
        env={"PASSWORD": "env-secret"},
    ))
    try:
        assert sink.settings.uri == "neo4j+s://graph.example:7687"
        assert sink.settings.database == "lineage"
        assert sink.settings.password == "env-secret"
        assert sink.spool.directory == tmp_path
        assert "env-secret" not in sink.describe()
    finally:
        sink.close(0)


def test_a_bad_uri_names_the_spark_setting() -> None:
    with pytest.raises(ConfigError, match=r"spark\.lineage\.neo4j\.uri"):
        Neo4jSink.from_settings(SinkSettings("neo4j", {"uri": "http://graph:7474"}))


def test_an_unknown_key_is_reported() -> None:
    with pytest.raises(ConfigError, match=r"spark\.lineage\.neo4j\.pasword"):
        Neo4jSink.from_settings(SinkSettings("neo4j", {"pasword": "x"}))


def test_while_nothing_answers_events_are_spooled_quickly_and_kept(tmp_path: Path) -> None:
    sink = Neo4jSink(
        Neo4jSettings(uri="bolt://127.0.0.1:9", password="pw"),
        tmp_path,
        options=DriverOptions(connection_timeout_s=1.0, max_transaction_retry_time_s=1.0),
        retry_max_s=60.0,
    )
    sink.emit(report_event("first"))
    started = time.monotonic()
    for n in range(20):
        sink.emit(report_event(f"later-{n}"))
    assert time.monotonic() - started < 2.0, "degraded mode appends without network attempts"
    assert not sink.flush(0)
    sink.close(0)
    status = Spool(tmp_path).status()
    assert (status.files, status.pending_entries) == (1, 21)
    assert (sink.written, sink.spooled) == (0, 21)


def test_the_sink_reads_the_config_file_the_cli_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pw").write_text("file-secret")
    config = tmp_path / "config.toml"
    config.write_text('[neo4j]\nuri = "bolt://graph.example:7999"\npassword_file = "pw"\n')
    monkeypatch.setenv("SPARK_LINEAGE_CONFIG", str(config))
    monkeypatch.delenv("SPARK_LINEAGE_NEO4J_PASSWORD", raising=False)
    monkeypatch.delenv("SPARK_LINEAGE_NEO4J_URI", raising=False)

    sink = Neo4jSink.from_settings(SinkSettings("neo4j", {"spool.dir": str(tmp_path / "spool")}))
    try:
        assert (sink.settings.uri, sink.settings.user) == ("bolt://graph.example:7999", "neo4j")
        assert sink.settings.password == "file-secret"
    finally:
        sink.close(0)


def test_a_bad_config_file_disables_the_sink_with_its_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[neo4j]\npasword = "x"\n')
    monkeypatch.setenv("SPARK_LINEAGE_CONFIG", str(config))
    with pytest.raises(ConfigError, match=r"unknown key 'pasword' in \[neo4j\]"):
        Neo4jSink.from_settings(SinkSettings("neo4j", {}))
