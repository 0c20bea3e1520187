"""The sink contract in practice: registry, settings, composite isolation, file/console sinks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from spark_lineage.config import ConfigError, load_config
from spark_lineage.model import AppContext, EventType, LineageEvent
from spark_lineage.sinks.base import Sink, SinkSettings
from spark_lineage.sinks.composite import CompositeSink
from spark_lineage.sinks.console import ConsoleSink
from spark_lineage.sinks.openlineage import OpenLineageFileSink, resolve_path
from spark_lineage.sinks.registry import build_sinks, register_sink, selected_types

APP = AppContext(app_id="local-123", app_name="app", user="me", master="local[2]")


def make_event(run_id: str = "0192f0c8-0000-7000-8000-000000000001") -> LineageEvent:
    return LineageEvent(
        run_id=run_id,
        event_type=EventType.COMPLETE,
        job_namespace="spark",
        job_name="app.save.out",
        event_time_ms=2_000,
        started_at_ms=1_000,
        ended_at_ms=2_000,
        app=APP,
        function_name="save",
    )


class RecordingSink(Sink):
    type_name = "recording"
    instances: ClassVar[list[RecordingSink]] = []

    def __init__(self, label: str) -> None:
        self.label = label
        self.events: list[LineageEvent] = []
        self.closed = False
        RecordingSink.instances.append(self)

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> RecordingSink:
        settings.check_known(["label"])
        return cls(settings.get("label", "default") or "default")

    def emit(self, event: LineageEvent) -> None:
        self.events.append(event)

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


class ExplodingSink(Sink):
    type_name = "exploding"

    @classmethod
    def from_settings(cls, settings: SinkSettings) -> ExplodingSink:
        return cls()

    def emit(self, event: LineageEvent) -> None:
        raise RuntimeError("backend down")

    def flush(self, timeout: float | None = None) -> bool:
        raise RuntimeError("backend down")

    def close(self, timeout: float | None = None) -> None:
        raise RuntimeError("backend down")


register_sink("recording", RecordingSink)
register_sink("exploding", ExplodingSink)


def test_no_sink_configured_means_the_local_openlineage_file() -> None:
    assert selected_types(load_config({}, env={})) == ("openlineage",)


def test_sink_settings_imply_their_sink_when_the_list_is_unset() -> None:
    config = load_config({"spark.lineage.console.format": "json"}, env={})
    assert selected_types(config) == ("console",)


def test_an_explicit_sink_list_wins() -> None:
    config = load_config(
        {"spark.lineage.sinks": "recording", "spark.lineage.console.format": "json"}, env={}
    )
    assert selected_types(config) == ("recording",)


def test_sinks_are_built_from_their_own_settings() -> None:
    config = load_config(
        {"spark.lineage.sinks": "recording", "spark.lineage.recording.label": "x"}, env={}
    )
    (sink,) = build_sinks(config, APP)
    assert isinstance(sink, RecordingSink)
    assert sink.label == "x"


def test_environment_supplies_sink_secrets() -> None:
    config = load_config(
        {"spark.lineage.sinks": "recording"}, env={"SPARK_LINEAGE_RECORDING_LABEL": "from-env"}
    )
    (sink,) = build_sinks(config, APP)
    assert isinstance(sink, RecordingSink)
    assert sink.label == "from-env"


def test_unknown_sink_type_is_a_config_error() -> None:
    config = load_config({"spark.lineage.sinks": "kafka"}, env={})
    with pytest.raises(ConfigError, match="unknown sink 'kafka'"):
        build_sinks(config, APP)


def test_settings_for_a_mistyped_sink_are_reported() -> None:
    config = load_config({"spark.lineage.neo4jj.uri": "bolt://x"}, env={})
    with pytest.raises(ConfigError, match=r"spark\.lineage\.neo4jj\.uri"):
        build_sinks(config, APP)


def test_unknown_key_of_a_known_sink_is_reported_with_the_known_ones() -> None:
    config = load_config({"spark.lineage.openlineage.pth": "/tmp/x"}, env={})
    with pytest.raises(ConfigError, match=r"spark\.lineage\.openlineage\.pth.*knows: fsync, path"):
        build_sinks(config, APP)


def test_sinks_built_before_a_failing_one_are_closed() -> None:
    RecordingSink.instances.clear()
    config = load_config(
        {"spark.lineage.sinks": "recording,console", "spark.lineage.console.stream": "printer"},
        env={},
    )
    with pytest.raises(ConfigError, match=r"spark\.lineage\.console\.stream must be one of"):
        build_sinks(config, APP)
    assert [s.closed for s in RecordingSink.instances] == [True]


def test_composite_keeps_delivering_when_one_sink_raises() -> None:
    good = RecordingSink("good")
    composite = CompositeSink([ExplodingSink(), good])

    composite.emit(make_event())
    composite.emit(make_event())
    flushed = composite.flush(1.0)
    composite.close(1.0)

    assert len(good.events) == 2
    assert good.closed
    assert flushed is False
    assert composite.errors == {"0:exploding": 4, "1:recording": 0}
    assert composite.delivered == {"0:exploding": 0, "1:recording": 2}


def test_openlineage_file_sink_appends_one_json_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "events.jsonl"
    sink = OpenLineageFileSink(path)
    sink.emit(make_event("0192f0c8-0000-7000-8000-000000000001"))
    sink.emit(make_event("0192f0c8-0000-7000-8000-000000000002"))
    sink.close()

    lines = path.read_text().splitlines()
    assert [json.loads(line)["run"]["runId"][-1] for line in lines] == ["1", "2"]


def test_openlineage_path_names_a_directory_gets_one_file_per_application(tmp_path: Path) -> None:
    assert resolve_path(str(tmp_path), "local-1") == tmp_path / "local-1.jsonl"
    assert resolve_path(f"{tmp_path}/new/", "app:7") == tmp_path / "new" / "app_7.jsonl"
    assert resolve_path(f"{tmp_path}/f.jsonl", "local-1") == tmp_path / "f.jsonl"


def test_default_openlineage_sink_writes_under_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sink = OpenLineageFileSink.from_settings(SinkSettings("openlineage", {}, APP))
    assert isinstance(sink, OpenLineageFileSink)
    assert sink.path == tmp_path / "spark-lineage-events" / "local-123.jsonl"


def test_console_sink_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    sink = ConsoleSink.from_settings(SinkSettings("console", {"stream": "stdout"}, APP))
    sink.emit(make_event())

    out = capsys.readouterr().out
    assert out.startswith("spark-lineage COMPLETE app.save.out run=0192f0c8")
    assert "1000ms" in out
