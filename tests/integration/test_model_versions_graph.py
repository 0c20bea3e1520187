"""Model versions the writer numbers: an event without a version becomes ``<name>@<max + 1>``.

The number is given when the event is written, not when it is made, so a job whose events wait in
the spool still gets its model numbered; a replayed event keeps the number it got the first time.
"""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import neo4j
import pytest
from lineage_events import input_at, lineage_event, output_at

from spark_lineage.graph.connection import DriverOptions
from spark_lineage.graph.settings import Neo4jSettings
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import DatasetRef, LineageEvent, ModelInfo
from spark_lineage.sinks.neo4j import Neo4jSink
from spark_lineage.sinks.replay import replay_spool

pytestmark = pytest.mark.neo4j


#: Event times are offsets from here: far from the small fixed times other suites prune before
#: (test_neo4j_graph prunes everything older than 2001), so no other test deletes these runs.
BASE_MS = 1_800_000_000_000


def _event(
    at: int,
    *,
    reads: tuple[tuple[DatasetRef, int], ...] = (),
    writes: tuple[DatasetRef, int] | None = None,
    model: ModelInfo | None = None,
) -> LineageEvent:
    return lineage_event(
        "itest-models",
        "train",
        BASE_MS + at,
        inputs=(input_at(ds, v) for ds, v in reads),
        output=output_at(*writes) if writes else None,
        model=model,
        started_at=BASE_MS + at,
    )


def _saved(name: str, version: str | None = None, **extra: Any) -> ModelInfo:
    return ModelInfo(name, version, origin="fit_save", save_path=f"/models/{name}", **extra)


def _versions(driver: neo4j.Driver, name: str) -> list[tuple[str, str]]:
    records, _, _ = driver.execute_query(
        "MATCH (m:Model {name: $name}) RETURN m.key AS key, m.version AS version ORDER BY key",
        name=name,
    )
    return [(r["key"], r["version"]) for r in records]


@pytest.fixture
def name() -> str:
    return f"churn-{uuid.uuid4().hex[:8]}"


def test_models_saved_without_a_version_are_numbered_one_two_three(
    driver: neo4j.Driver, name: str
) -> None:
    writer = GraphWriter(driver)
    for at in (1_000, 2_000, 3_000):
        writer.write(_event(at, model=_saved(name)))

    assert _versions(driver, name) == [(f"{name}@1", "1"), (f"{name}@2", "2"), (f"{name}@3", "3")]


def test_the_next_number_follows_the_highest_numeric_version_of_that_name(
    driver: neo4j.Driver, name: str
) -> None:
    writer = GraphWriter(driver)
    writer.write(_event(1_000, model=_saved(name, "4")))
    writer.write(_event(2_000, model=_saved(name, "release-candidate")))
    writer.write(_event(3_000, model=_saved(name)))
    writer.write(_event(4_000, model=_saved(f"{name}-other")))

    assert _versions(driver, name) == [
        (f"{name}@4", "4"),
        (f"{name}@5", "5"),
        (f"{name}@release-candidate", "release-candidate"),
    ]
    assert _versions(driver, f"{name}-other") == [(f"{name}-other@1", "1")]


#: Applications writing versionless models of one name at the same moment.
CONCURRENT_WRITERS = 6


def test_concurrent_writers_of_one_model_name_get_distinct_consecutive_numbers(
    driver: neo4j.Driver, neo4j_uri: str, neo4j_auth: tuple[str, str], name: str
) -> None:
    """Each application has its own job, driver and session (nothing else they write is shared,
    so only the numbering can serialise them); all write at once, several rounds."""
    rounds = 3
    start = threading.Barrier(CONCURRENT_WRITERS)
    failures: list[BaseException] = []

    def application(index: int) -> None:
        try:
            with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as own:
                writer = GraphWriter(own)
                writer.ensure_schema()
                for round_ in range(rounds):
                    at = BASE_MS + 1_000 * round_ + index
                    event = lineage_event("itest-models", f"train{index}", at, model=_saved(name))
                    start.wait(timeout=60)
                    writer.write(event)
        except BaseException as error:  # reported by the test thread below
            start.abort()
            failures.append(error)

    threads = [threading.Thread(target=application, args=(i,)) for i in range(CONCURRENT_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    written = rounds * CONCURRENT_WRITERS
    numbers = sorted(int(version) for _, version in _versions(driver, name))
    assert numbers == list(range(1, written + 1))
    records, _, _ = driver.execute_query(
        "MATCH (m:Model {name: $name}) "
        "RETURN count(m) AS models, count(DISTINCT m.key) AS keys, "
        "min(COUNT { (m)-[:PRODUCED_BY]->(:Run) }) AS fewest_runs, "
        "max(COUNT { (m)-[:PRODUCED_BY]->(:Run) }) AS most_runs",
        name=name,
    )
    assert dict(records[0]) == {
        "models": written,
        "keys": written,
        "fewest_runs": 1,
        "most_runs": 1,
    }


def test_a_replayed_event_keeps_its_number_instead_of_making_a_new_version(
    driver: neo4j.Driver, name: str
) -> None:
    first = _event(1_000, model=_saved(name))
    second = _event(2_000, model=_saved(name))
    GraphWriter(driver).write(first)
    GraphWriter(driver).write(second)
    # a writer that re-applies events it has seen (skip_applied=False) must not renumber them
    again = GraphWriter(driver, skip_applied=False)
    again.write(first)
    again.write(second)

    assert _versions(driver, name) == [(f"{name}@1", "1"), (f"{name}@2", "2")]


def test_a_model_version_is_trained_on_the_exact_version_with_its_feature_columns(
    driver: neo4j.Driver, name: str
) -> None:
    features = DatasetRef("file", f"/itest-models/{name}/features", "delta")
    writer = GraphWriter(driver)
    writer.write(_event(500, writes=(features, 3)))
    model = _saved(
        name,
        feature_columns=("tenure", "spend"),
        trained_columns={features.key: ("spend", "tenure")},
    )
    writer.write(_event(1_000, reads=((features, 3),), model=model))

    records, _, _ = driver.execute_query(
        "MATCH (m:Model {name: $name})-[t:TRAINED_ON]->(v:DatasetVersion) "
        "RETURN m.origin AS origin, m.feature_columns AS features, m.save_path AS path, "
        "v.key AS version, t.columns AS columns",
        name=name,
    )
    assert [dict(r) for r in records] == [
        {
            "origin": "fit_save",
            "features": ["tenure", "spend"],
            "path": f"/models/{name}",
            "version": f"{features.key}@v3",
            "columns": ["spend", "tenure"],
        }
    ]


def test_a_model_event_spooled_while_neo4j_is_down_is_numbered_when_replayed(
    driver: neo4j.Driver, neo4j_uri: str, neo4j_auth: tuple[str, str], name: str, tmp_path: Path
) -> None:
    GraphWriter(driver).write(_event(1_000, model=_saved(name)))
    user, password = neo4j_auth
    down = Neo4jSettings(uri=f"bolt://127.0.0.1:{_unused_port()}", user=user, password=password)
    sink = Neo4jSink(
        down, tmp_path / "spool", options=DriverOptions(0.5, 0.5, 0.5), write_timeout_s=1.0
    )
    try:
        sink.emit(_event(2_000, model=_saved(name)))
        assert sink.flush(5) is False
    finally:
        sink.close(5)
    assert sink.spooled == 1
    assert _versions(driver, name) == [(f"{name}@1", "1")]

    up = Neo4jSettings(uri=neo4j_uri, user=user, password=password)
    report = replay_spool(up, tmp_path / "spool")

    assert report.delivery.delivered == 1
    assert _versions(driver, name) == [(f"{name}@1", "1"), (f"{name}@2", "2")]


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_record_model_event_replaces_the_fit_save_version_it_stands_for(
    driver: neo4j.Driver, name: str
) -> None:
    writer = GraphWriter(driver)
    saved = _event(1_000, model=_saved(name))
    writer.write(saved)
    explicit = ModelInfo(f"{name}-explicit", "1", replaces_event_id=saved.run_id)
    writer.write(_event(2_000, model=explicit))
    # only a fit_save version is replaced: a record_model one with that event id stays
    kept = _event(3_000, model=ModelInfo(name, "9"))
    writer.write(kept)
    writer.write(_event(4_000, model=ModelInfo(f"{name}-x", "1", replaces_event_id=kept.run_id)))

    assert _versions(driver, name) == [(f"{name}@9", "9")]
    assert _versions(driver, f"{name}-explicit") == [(f"{name}-explicit@1", "1")]
