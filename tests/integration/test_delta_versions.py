"""Delta versions on real tables: what each read form read, what each write form created.

Reads call ``delta_reads`` on ``df._jdf.queryExecution()``; writes record the ``QueryExecution``
Spark hands to a ``QueryExecutionListener`` (as the agent does) and call ``resolve_delta_write``
with it afterwards. Every write must resolve to exactly one commit, the one DESCRIBE HISTORY
shows for it. Concurrent writers are in test_delta_versions_concurrent.py.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graph_inspect import delete_scope

from spark_lineage.agent import LineageAgent, attach
from spark_lineage.capture.context import register_listener, unregister_listener
from spark_lineage.capture.delta import (
    DeltaRead,
    DeltaWrite,
    delta_facts,
    delta_read_version,
    delta_reads,
    delta_table_path,
    resolve_delta_write,
)

pytestmark = [pytest.mark.integration, pytest.mark.delta]


@dataclass(frozen=True)
class Finished:
    function_name: str
    query_execution: Any
    ended_at_ms: int


class QueryRecorder:
    """A py4j QueryExecutionListener that keeps every finished query, like the agent's."""

    class Java:
        implements = ["org.apache.spark.sql.util.QueryExecutionListener"]

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self.finished: list[Finished] = []

    def onSuccess(self, function_name: str, qe: Any, duration_ns: int) -> None:
        self.finished.append(Finished(function_name, qe, int(time.time() * 1000)))

    def onFailure(self, function_name: str, qe: Any, exception: Any) -> None:
        self.finished.append(Finished(function_name, qe, int(time.time() * 1000)))

    def run(self, action: Callable[[], Any]) -> list[Finished]:
        """The queries that finished while ``action`` ran (listener bus drained)."""
        bus = self.spark.sparkContext._jsc.sc().listenerBus()
        bus.waitUntilEmpty()
        start = len(self.finished)
        action()
        bus.waitUntilEmpty()
        return self.finished[start:]

    def write(self, action: Callable[[], Any]) -> DeltaWrite:
        """Run a write; exactly one of its queries must be a Delta write, resolved here."""
        writes = [
            w
            for f in self.run(action)
            if (w := resolve_delta_write(f.query_execution, f.ended_at_ms)) is not None
        ]
        assert len(writes) == 1, [w.command for w in writes]
        return writes[0]


@pytest.fixture(scope="module")
def recorder(spark: Any) -> Iterator[QueryRecorder]:
    recorder = QueryRecorder(spark)
    registered = register_listener(spark, recorder)
    yield recorder
    unregister_listener(spark, registered)


def history(spark: Any, table: str) -> dict[int, str]:
    rows = spark.sql(f"DESCRIBE HISTORY {table}").select("version", "operation").collect()
    return {r.version: r.operation for r in rows}


def assert_created(spark: Any, write: DeltaWrite, table: str, operation: str) -> None:
    """The resolved commit is exact, is the table's newest, and history agrees on it."""
    versions = history(spark, table)
    assert write.version.status == "exact", write.to_dict()
    assert write.version.version == max(versions)
    assert write.version.operation == operation
    assert versions[max(versions)] == operation
    assert write.version.timestamp_ms is not None


def rows(n: int, start: int = 0) -> str:
    return f"SELECT CAST(id AS BIGINT) AS id, CAST(id % 2 AS BIGINT) AS p FROM range({start}, {n})"  # noqa: S608


def versions_read(reads: tuple[DeltaRead, ...]) -> list[tuple[str, int | None, bool]]:
    return [
        (Path(r.path.removeprefix("file:")).name, r.version.version, r.time_travel) for r in reads
    ]


# --- reads ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_versions(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A path table and a catalog table, each with versions 0 (ids 0-2), 1 (+3,4), 2 (-0)."""
    base = tmp_path_factory.mktemp("delta_reads")
    path = str(base / "events")
    spark.sql(rows(3)).write.format("delta").save(path)
    spark.sql(rows(5, 3)).write.format("delta").mode("append").save(path)
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id = 0")  # noqa: S608
    spark.sql("DROP TABLE IF EXISTS read_versions")
    spark.sql(f"CREATE TABLE read_versions USING delta AS {rows(3)}")
    spark.sql(f"INSERT INTO read_versions {rows(5, 3)}")
    spark.sql("DELETE FROM read_versions WHERE id = 0")
    stamps = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").select("version", "timestamp")
    at_v1 = next(r.timestamp for r in stamps.collect() if r.version == 1)
    return {"path": path, "v1_time": at_v1.strftime("%Y-%m-%d %H:%M:%S.%f")}


READ_CASES: list[tuple[str, Callable[[Any, dict[str, Any]], Any], int, bool]] = [
    ("path, latest", lambda s, t: s.read.format("delta").load(t["path"]), 2, False),
    (
        "path, versionAsOf",
        lambda s, t: s.read.format("delta").option("versionAsOf", 1).load(t["path"]),
        1,
        True,
    ),
    (
        "path, timestampAsOf",
        lambda s, t: s.read.format("delta").option("timestampAsOf", t["v1_time"]).load(t["path"]),
        1,
        True,
    ),
    ("path@v0", lambda s, t: s.read.format("delta").load(t["path"] + "@v0"), 0, True),
    ("SQL delta.`path@v0`", lambda s, t: s.sql(f"SELECT * FROM delta.`{t['path']}@v0`"), 0, True),  # noqa: S608
    (
        "SQL path VERSION AS OF",
        lambda s, t: s.sql(f"SELECT * FROM delta.`{t['path']}` VERSION AS OF 1"),  # noqa: S608
        1,
        True,
    ),
    (
        "SQL path TIMESTAMP AS OF",
        lambda s, t: s.sql(f"SELECT * FROM delta.`{t['path']}` TIMESTAMP AS OF '{t['v1_time']}'"),  # noqa: S608
        1,
        True,
    ),
    ("catalog, latest", lambda s, t: s.table("read_versions"), 2, False),
    (
        "catalog, versionAsOf option",
        lambda s, t: s.read.option("versionAsOf", 0).table("read_versions"),
        0,
        True,
    ),
    (
        "catalog, SQL VERSION AS OF",
        lambda s, t: s.sql("SELECT * FROM read_versions VERSION AS OF 1"),
        1,
        True,
    ),
    (
        "catalog, DeltaTable API",
        lambda s, t: (
            __import__("delta.tables").tables.DeltaTable.forName(s, "read_versions").toDF()
        ),
        2,
        False,
    ),
]


@pytest.mark.parametrize(
    ("read", "expected_version", "time_travel"),
    [pytest.param(c[1], c[2], c[3], id=c[0]) for c in READ_CASES],
)
def test_read_reports_the_snapshot_version_it_read(
    spark: Any,
    three_versions: dict[str, Any],
    read: Callable[[Any, dict[str, Any]], Any],
    expected_version: int,
    time_travel: bool,
) -> None:
    df = read(spark, three_versions)
    df.collect()

    reads = delta_reads(df._jdf.queryExecution())

    assert len(reads) == 1
    assert reads[0].version.version == expected_version
    assert reads[0].time_travel is time_travel
    assert reads[0].path.startswith("file:/")


def test_catalog_read_names_the_table(spark: Any, three_versions: dict[str, Any]) -> None:
    reads = delta_reads(spark.table("read_versions")._jdf.queryExecution())

    assert reads[0].table == "spark_catalog.default.read_versions"
    assert reads[0].path.endswith("/read_versions")


def test_version_read_stays_the_one_scanned_after_the_table_moves_on(
    spark: Any, tmp_path: Path
) -> None:
    path = str(tmp_path / "moving")
    spark.sql(rows(2)).write.format("delta").save(path)
    df = spark.read.format("delta").load(path)
    df.collect()  # scans version 0
    spark.sql(rows(4, 2)).write.format("delta").mode("append").save(path)  # version 1

    assert [r.version.version for r in delta_reads(df._jdf.queryExecution())] == [0]


def test_self_join_across_two_versions_reports_both(
    spark: Any, three_versions: dict[str, Any]
) -> None:
    path = three_versions["path"]
    df = spark.sql(
        f"SELECT a.id FROM delta.`{path}` VERSION AS OF 0 a JOIN delta.`{path}` b ON a.id = b.id"  # noqa: S608
    )
    df.collect()

    assert sorted(versions_read(delta_reads(df._jdf.queryExecution()))) == [
        ("events", 0, True),
        ("events", 2, False),
    ]


def test_tables_read_only_in_subqueries_are_reported(
    spark: Any, three_versions: dict[str, Any]
) -> None:
    path = three_versions["path"]
    in_latest = "id IN (SELECT id FROM read_versions)"
    below_max_of_v0 = "id <= (SELECT max(id) FROM read_versions VERSION AS OF 0)"  # from stats
    where = f"WHERE {in_latest} AND {below_max_of_v0}"
    df = spark.sql(f"SELECT id FROM delta.`{path}` VERSION AS OF 1 {where}")  # noqa: S608
    df.collect()

    assert sorted(versions_read(delta_reads(df._jdf.queryExecution()))) == [
        ("events", 1, True),
        ("read_versions", 0, True),
        ("read_versions", 2, False),
    ]


def test_one_leaf_at_a_time_v1_logical_relation(spark: Any, three_versions: dict[str, Any]) -> None:
    df = spark.read.format("delta").option("versionAsOf", 1).load(three_versions["path"])
    leaf = df._jdf.queryExecution().analyzed().collectLeaves().apply(0)

    assert leaf.getClass().getSimpleName() == "LogicalRelation"
    assert delta_read_version(leaf) is not None
    assert delta_read_version(leaf).version == 1  # type: ignore[union-attr]
    assert delta_table_path(leaf) == "file:" + three_versions["path"]


def test_one_leaf_at_a_time_v2_relation_of_a_write_target(
    spark: Any, recorder: QueryRecorder, three_versions: dict[str, Any]
) -> None:
    spark.sql("DROP TABLE IF EXISTS v2_target")
    spark.sql(f"CREATE TABLE v2_target USING delta AS {rows(2)}")  # version 0
    finished = recorder.run(lambda: spark.sql(f"INSERT INTO v2_target {rows(4, 2)}"))
    append = next(f for f in finished if f.function_name == "append")
    relation = append.query_execution.analyzed().table()

    assert relation.getClass().getSimpleName() == "DataSourceV2Relation"
    assert delta_read_version(relation) is not None
    assert delta_read_version(relation).version == 0  # type: ignore[union-attr]
    assert (delta_table_path(relation) or "").endswith("/v2_target")


def test_non_delta_sources_are_not_reported(spark: Any, tmp_path: Path) -> None:
    spark.range(3).write.parquet(str(tmp_path / "plain"))
    df = spark.read.parquet(str(tmp_path / "plain")).join(spark.range(2), "id")
    df.collect()

    assert delta_reads(df._jdf.queryExecution()) == ()


def test_reading_versions_costs_few_py4j_round_trips(
    spark: Any, three_versions: dict[str, Any]
) -> None:
    df = spark.read.format("delta").load(three_versions["path"])
    qe = df._jdf.queryExecution()
    qe.optimizedPlan()
    client = qe._gateway_client
    original = client.send_command
    calls = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args, **kwargs)

    client.send_command = counting
    try:
        delta_reads(qe)
    finally:
        client.send_command = original

    assert calls <= 45  # two short walks (optimized + analyzed) of a one-leaf plan


# --- writes -----------------------------------------------------------------------------------


def test_path_writes_save_append_replace_where_merge_schema(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    path = str(tmp_path / "by_path")
    table = f"delta.`{path}`"
    writer = spark.sql(rows(4))

    created = recorder.write(lambda: writer.write.format("delta").partitionBy("p").save(path))
    assert_created(spark, created, table, "WRITE")
    assert created.version.version == 0
    assert created.version.operation_parameters["partitionBy"] == '["p"]'
    assert created.path == "file:" + path

    appended = recorder.write(lambda: writer.write.format("delta").mode("append").save(path))
    assert_created(spark, appended, table, "WRITE")
    assert appended.version.operation_parameters["mode"] == "Append"
    assert appended.version.operation_metrics["numOutputRows"] == "4"

    replaced = recorder.write(
        lambda: (
            spark.sql("SELECT 7L AS id, 0L AS p")
            .write.format("delta")
            .mode("overwrite")
            .option("replaceWhere", "p = 0")
            .save(path)
        )
    )
    assert_created(spark, replaced, table, "WRITE")
    assert replaced.version.operation_parameters["predicate"] == "p = 0"

    evolved = recorder.write(
        lambda: (
            spark.sql("SELECT 8L AS id, 1L AS p, 'x' AS extra")
            .write.format("delta")
            .mode("append")
            .option("mergeSchema", "true")
            .save(path)
        )
    )
    assert_created(spark, evolved, table, "WRITE")
    assert evolved.version.version == 3
    assert evolved.read_version == 2


def test_catalog_writes_save_as_table_insert_and_write_to(
    spark: Any, recorder: QueryRecorder
) -> None:
    spark.sql("DROP TABLE IF EXISTS written")
    df = spark.sql(rows(3))

    created = recorder.write(lambda: df.write.format("delta").saveAsTable("written"))
    assert_created(spark, created, "written", "CREATE TABLE AS SELECT")
    assert created.table == "spark_catalog.default.written"

    appended = recorder.write(
        lambda: df.write.format("delta").mode("append").saveAsTable("written")
    )
    assert_created(spark, appended, "written", "WRITE")

    inserted = recorder.write(lambda: spark.sql(f"INSERT INTO written {rows(9, 7)}"))
    assert_created(spark, inserted, "written", "WRITE")
    assert inserted.version.operation_metrics["numOutputRows"] == "2"

    overwritten = recorder.write(lambda: spark.sql(f"INSERT OVERWRITE written {rows(2)}"))
    assert_created(spark, overwritten, "written", "WRITE")
    assert overwritten.version.operation_parameters["mode"] == "Overwrite"

    written_to = recorder.write(lambda: df.writeTo("written").append())
    assert_created(spark, written_to, "written", "WRITE")

    replaced = recorder.write(
        lambda: df.write.format("delta").mode("overwrite").saveAsTable("written")
    )
    assert_created(spark, replaced, "written", "CREATE OR REPLACE TABLE AS SELECT")
    assert replaced.version.version == 5

    # planned as a RTAS, committed by Delta as a WRITE of the matching rows only
    replaced_where = recorder.write(
        lambda: df.write.format("delta").mode("overwrite").option("replaceWhere", "id >= 0")
        .saveAsTable("written")
    )
    assert_created(spark, replaced_where, "written", "WRITE")
    assert replaced_where.version.version == 6
    assert replaced_where.version.operation_parameters["predicate"] == "id >= 0"


def test_insert_into_a_path_table_in_sql(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    path = str(tmp_path / "sql_path")
    spark.sql(rows(2)).write.format("delta").save(path)

    inserted = recorder.write(lambda: spark.sql(f"INSERT INTO delta.`{path}` {rows(4, 2)}"))

    assert_created(spark, inserted, f"delta.`{path}`", "WRITE")
    assert inserted.path == "file:" + path


def test_create_and_replace_table_as_select(spark: Any, recorder: QueryRecorder) -> None:
    spark.sql("DROP TABLE IF EXISTS ctas_target")

    created = recorder.write(
        lambda: spark.sql(f"CREATE TABLE ctas_target USING delta AS {rows(3)}")
    )
    assert_created(spark, created, "ctas_target", "CREATE TABLE AS SELECT")

    replaced = recorder.write(
        lambda: spark.sql(f"CREATE OR REPLACE TABLE ctas_target USING delta AS {rows(5)}")
    )
    assert_created(spark, replaced, "ctas_target", "CREATE OR REPLACE TABLE AS SELECT")

    replaced_only = recorder.write(
        lambda: spark.sql(f"REPLACE TABLE ctas_target USING delta AS {rows(2)}")
    )
    assert_created(spark, replaced_only, "ctas_target", "REPLACE TABLE AS SELECT")
    assert replaced_only.version.version == 2


def test_update_delete_merge_in_sql(spark: Any, recorder: QueryRecorder) -> None:
    spark.sql("DROP TABLE IF EXISTS dml")
    spark.sql(f"CREATE TABLE dml USING delta AS {rows(4)}")

    updated = recorder.write(lambda: spark.sql("UPDATE dml SET id = id * 10 WHERE id = 1"))
    assert_created(spark, updated, "dml", "UPDATE")
    assert updated.version.operation_metrics["numUpdatedRows"] == "1"
    assert updated.read_version == 0

    deleted = recorder.write(lambda: spark.sql("DELETE FROM dml WHERE id = 0"))
    assert_created(spark, deleted, "dml", "DELETE")
    assert deleted.version.operation_metrics["numDeletedRows"] == "1"

    merged = recorder.write(
        lambda: spark.sql(
            "MERGE INTO dml t USING (SELECT id, p FROM dml WHERE id > 1 UNION ALL SELECT 50, 0) s "
            "ON t.id = s.id WHEN MATCHED THEN UPDATE SET p = s.p + 1 "
            "WHEN NOT MATCHED THEN INSERT *"
        )
    )
    assert_created(spark, merged, "dml", "MERGE")
    assert merged.version.operation_metrics["numTargetRowsInserted"] == "1"
    assert merged.fingerprint.after_version == 2


def test_update_delete_merge_through_the_delta_table_api(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    from delta.tables import DeltaTable

    path = str(tmp_path / "api")
    spark.sql(rows(4)).write.format("delta").save(path)
    table = DeltaTable.forPath(spark, path)
    name = f"delta.`{path}`"

    updated = recorder.write(lambda: table.update("id = 2", {"p": "p + 100"}))
    assert_created(spark, updated, name, "UPDATE")

    deleted = recorder.write(lambda: table.delete("id = 3"))
    assert_created(spark, deleted, name, "DELETE")

    source = spark.sql("SELECT CAST(id AS BIGINT) AS id, 9L AS p FROM range(1, 6)")
    merged = recorder.write(
        lambda: (
            table.alias("t")
            .merge(source.alias("s"), "t.id = s.id")
            .whenMatchedUpdate(set={"p": "s.p"})
            .whenNotMatchedInsertAll()
            .execute()
        )
    )
    assert_created(spark, merged, name, "MERGE")
    assert merged.version.operation_metrics["numTargetRowsInserted"] == "3"  # 3, 4 and 5


def test_dml_reads_its_target_at_the_version_before_its_own_commit(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    path = str(tmp_path / "dml_reads")
    spark.sql(rows(3)).write.format("delta").save(path)
    finished = recorder.run(lambda: spark.sql(f"DELETE FROM delta.`{path}` WHERE id = 1"))  # noqa: S608
    command = next(f for f in finished if f.function_name == "command")

    facts = delta_facts(command.query_execution, command.ended_at_ms)

    assert [(r["path"], r["version"]["version"]) for r in facts["delta_reads"]] == [
        ("file:" + path, 0)
    ]
    assert facts["delta_write"]["version"]["version"] == 1
    assert facts["delta_write"]["version"]["status"] == "exact"
    assert facts["delta_write"]["read_version"] == 0
    assert facts["delta_errors"] == []


def test_a_failed_write_resolves_to_unknown_without_raising(
    spark: Any, recorder: QueryRecorder
) -> None:
    spark.sql("DROP TABLE IF EXISTS failing")
    spark.sql(f"CREATE TABLE failing USING delta AS {rows(2)}")

    def failing_insert() -> None:  # fails while it runs, on every Spark line (ANSI mode or not)
        with pytest.raises(Exception, match="no such row"):
            spark.sql("INSERT INTO failing SELECT CAST(raise_error('no such row') AS BIGINT), 0L")

    finished = recorder.run(failing_insert)
    facts = [delta_facts(f.query_execution, f.ended_at_ms) for f in finished]
    writes = [f["delta_write"] for f in facts if f["delta_write"] is not None]

    assert [w["version"]["status"] for w in writes] == ["unknown"]
    assert writes[0]["version"]["version"] is None
    assert max(history(spark, "failing")) == 0  # indeed nothing was committed


def test_queries_that_write_no_delta_table_resolve_to_none(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    finished = recorder.run(lambda: spark.range(3).write.parquet(str(tmp_path / "parquet")))
    finished += recorder.run(lambda: spark.range(3).collect())

    assert finished
    assert all(resolve_delta_write(f.query_execution, f.ended_at_ms) is None for f in finished)


# --- change data feed, RESTORE, SHALLOW CLONE -------------------------------------------------


def test_a_change_data_feed_read_reports_the_range_of_versions_it_read(
    spark: Any, tmp_path: Path
) -> None:
    path = str(tmp_path / "feed")
    spark.sql(rows(2)).write.format("delta").option("delta.enableChangeDataFeed", "true").save(
        path
    )
    spark.sql(rows(4, 2)).write.format("delta").mode("append").save(path)
    spark.sql(f"DELETE FROM delta.`{path}` WHERE id = 0")  # noqa: S608
    changes = spark.read.format("delta").option("readChangeFeed", "true")

    ranged = changes.option("startingVersion", 1).option("endingVersion", 2).load(path)
    open_ended = changes.option("startingVersion", 1).load(path)
    in_sql = spark.sql(f"SELECT * FROM table_changes_by_path('{path}', 0, 1)")  # noqa: S608

    for df, (start, end) in ((ranged, (1, 2)), (open_ended, (1, 2)), (in_sql, (0, 1))):
        (read,) = delta_reads(df._jdf.queryExecution())
        assert read.path == "file:" + path
        assert (read.version.starting_version, read.version.version) == (start, end)


def test_restore_resolves_to_its_commit_and_reads_the_version_it_restored(
    spark: Any, recorder: QueryRecorder
) -> None:
    spark.sql("DROP TABLE IF EXISTS restore_me")
    spark.sql(f"CREATE TABLE restore_me USING delta AS {rows(2)}")
    spark.sql(f"INSERT INTO restore_me {rows(4, 2)}")
    finished = recorder.run(lambda: spark.sql("RESTORE TABLE restore_me TO VERSION AS OF 0"))
    command = next(f for f in finished if f.function_name == "command")

    facts = delta_facts(command.query_execution, command.ended_at_ms)

    written = facts["delta_write"]
    assert written["version"]["status"] == "exact"
    assert written["version"]["version"] == 2 == max(history(spark, "restore_me"))
    assert history(spark, "restore_me")[2] == "RESTORE"
    assert written["version"]["operation_parameters"]["version"] == "0"
    assert written["table"] == "spark_catalog.default.restore_me"
    reads = [(r["version"]["version"], r["time_travel"]) for r in facts["delta_reads"]]
    assert reads == [(0, True)]
    assert facts["delta_errors"] == []


def test_a_shallow_clone_resolves_to_the_clones_first_commit_and_reads_the_source_version(
    spark: Any, recorder: QueryRecorder, tmp_path: Path
) -> None:
    spark.sql("DROP TABLE IF EXISTS clone_source")
    spark.sql(f"CREATE TABLE clone_source USING delta AS {rows(2)}")
    spark.sql(f"INSERT INTO clone_source {rows(4, 2)}")
    target = str(tmp_path / "clone")

    written = recorder.write(
        lambda: spark.sql(
            f"CREATE TABLE delta.`{target}` SHALLOW CLONE clone_source VERSION AS OF 0"
        )
    )

    assert_created(spark, written, f"delta.`{target}`", "CLONE")
    assert written.version.version == 0
    assert written.path == "file:" + target
    assert written.version.operation_parameters["sourceVersion"] == "0"


def test_restore_to_a_timestamp_reads_the_version_that_was_current_then(
    spark: Any, recorder: QueryRecorder
) -> None:
    spark.sql("DROP TABLE IF EXISTS restore_when")
    spark.sql(f"CREATE TABLE restore_when USING delta AS {rows(2)}")
    spark.sql(f"INSERT INTO restore_when {rows(4, 2)}")
    stamps = spark.sql("DESCRIBE HISTORY restore_when").select("version", "timestamp").collect()
    at_v0 = next(r.timestamp for r in stamps if r.version == 0).strftime("%Y-%m-%d %H:%M:%S.%f")

    finished = recorder.run(
        lambda: spark.sql(f"RESTORE TABLE restore_when TO TIMESTAMP AS OF '{at_v0}'")
    )
    command = next(f for f in finished if f.function_name == "command")
    facts = delta_facts(command.query_execution, command.ended_at_ms)

    assert facts["delta_write"]["version"]["status"] == "exact"
    assert facts["delta_write"]["version"]["version"] == 2
    assert [r["version"]["version"] for r in facts["delta_reads"]] == [0]


# --- who and why of each version, in the graph ------------------------------------------------


@dataclass(frozen=True)
class GraphVersions:
    """The versions of one catalog table that an attached agent wrote into Neo4j."""

    table: str
    spark_user: str
    app_id: str
    versions: dict[int, dict[str, Any]]  # version -> DatasetVersion properties
    writers: dict[int, list[dict[str, Any]]]  # version -> the runs that WROTE_VERSION it
    labels: list[dict[str, Any]]  # every VersionLabel of the table, with the version it labels
    history: dict[int, Any]  # DESCRIBE HISTORY rows by version


GRAPH_VERSIONS = """
MATCH (v:DatasetVersion)-[:VERSION_OF]->(d:Dataset {key: $dataset_key})
OPTIONAL MATCH (r:Run)-[:WROTE_VERSION]->(v)
RETURN v.version AS version, properties(v) AS props,
       [x IN collect(r) | {run_id: x.run_id, app_id: x.app_id, job_key: x.job_key}] AS writers
"""
GRAPH_LABELS = """
MATCH (l:VersionLabel)-[:LABELS]->(v:DatasetVersion)-[:VERSION_OF]->(:Dataset {key: $dataset_key})
RETURN properties(l) AS label, v.version AS version
"""


@pytest.fixture(scope="module")
def graph_versions(
    spark: Any,
    driver: Any,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GraphVersions]:
    """One table written in several ways with an agent attached, its versions read from the graph:
    v0 saveAsTable (created), v1 append with the ``userMetadata`` option (a label), v2 SQL
    INSERT with the session's ``commitInfo.userMetadata``, v3 MERGE (no description), v4 v2's
    INSERT with column p computed differently, v5 an append that adds a column."""
    suffix = uuid.uuid4().hex[:8]
    table = f"who_why_{suffix}"
    namespace = f"who-why-{suffix}"
    agent = attach(
        spark,
        {
            "spark.lineage.namespace": namespace,
            "spark.lineage.sinks": "neo4j",
            "spark.lineage.neo4j.uri": neo4j_uri,
            "spark.lineage.neo4j.user": neo4j_auth[0],
            "spark.lineage.neo4j.password": neo4j_auth[1],
            "spark.lineage.neo4j.spool.dir": str(tmp_path_factory.mktemp("who_why_spool")),
            "spark.lineage.emit.readOnly": "false",
        },
    )
    assert isinstance(agent, LineageAgent)
    conf_key = "spark.databricks.delta.commitInfo.userMetadata"
    try:
        spark.sql(rows(4)).write.format("delta").saveAsTable(table)
        spark.sql(rows(6, 4)).write.format("delta").mode("append").option(
            "userMetadata", "label:v1.0 first load"
        ).saveAsTable(table)
        spark.conf.set(conf_key, "nightly top-up")
        try:
            spark.sql(f"INSERT INTO {table} {rows(8, 6)}")
        finally:
            spark.conf.unset(conf_key)
        spark.sql(
            f"MERGE INTO {table} t USING (SELECT 1L AS id, 7L AS p UNION ALL SELECT 9L, 1L) s "
            "ON t.id = s.id WHEN MATCHED THEN UPDATE SET p = s.p WHEN NOT MATCHED THEN INSERT *"
        )
        spark.sql(  # v2's query with p computed another way
            f"INSERT INTO {table} SELECT CAST(id AS BIGINT) AS id, "  # noqa: S608
            "CAST(id % 3 AS BIGINT) AS p FROM range(6, 8)"
        )
        spark.sql(rows(8, 6)).selectExpr("*", "id * 10 AS score").write.format("delta").mode(
            "append"
        ).option("mergeSchema", "true").saveAsTable(table)
        assert agent.flush(180), "the agent did not deliver the lineage in time"
    finally:
        agent.close(60)
    location = spark.sql(f"DESCRIBE DETAIL {table}").collect()[0].location
    dataset_key = f"file::{location.removeprefix('file:')}"
    history = {r.version: r for r in spark.sql(f"DESCRIBE HISTORY {table}").collect()}
    with driver.session() as session:
        found = list(session.run(GRAPH_VERSIONS, dataset_key=dataset_key))
        labels = [r.data() for r in session.run(GRAPH_LABELS, dataset_key=dataset_key)]
    yield GraphVersions(
        table=table,
        spark_user=spark.sparkContext.sparkUser(),
        app_id=spark.sparkContext.applicationId,
        versions={r["version"]: dict(r["props"]) for r in found},
        writers={r["version"]: r["writers"] for r in found},
        labels=labels,
        history=history,
    )
    spark.sql(f"DROP TABLE IF EXISTS {table}")
    delete_scope(driver, dataset_key, f"{namespace}::")


@pytest.mark.neo4j
def test_every_version_in_the_graph_has_its_commits_time_operation_and_writing_run(
    graph_versions: GraphVersions,
) -> None:
    g = graph_versions
    assert sorted(g.versions) == sorted(g.history) == [0, 1, 2, 3, 4, 5]
    for number, props in g.versions.items():
        commit = g.history[number]
        assert props["operation"] == commit.operation
        # commitInfo.timestamp; DESCRIBE HISTORY shows the commit file's modification time
        assert abs(props["timestamp"] - commit.timestamp.timestamp() * 1000) < 5_000
        assert [w["app_id"] for w in g.writers[number]] == [g.app_id], number
    assert [g.versions[n]["operation"] for n in range(6)] == [
        "CREATE TABLE AS SELECT", "WRITE", "WRITE", "MERGE", "WRITE", "WRITE"
    ]


@pytest.mark.neo4j
def test_user_metadata_is_kept_from_the_write_option_and_from_the_spark_conf(
    graph_versions: GraphVersions,
) -> None:
    g = graph_versions
    assert g.versions[0].get("user_metadata") is None
    assert g.versions[1]["user_metadata"] == "label:v1.0 first load"
    assert g.versions[2]["user_metadata"] == "nightly top-up"
    for number in (3, 4, 5):  # the conf was unset: nothing carried over
        assert g.versions[number].get("user_metadata") is None


@pytest.mark.neo4j
def test_the_author_is_deltas_user_name_or_else_the_spark_user_and_the_engine_is_kept(
    graph_versions: GraphVersions,
) -> None:
    g = graph_versions
    for number, props in g.versions.items():
        delta_user = g.history[number].userName
        expected = (delta_user, "delta") if delta_user else (g.spark_user, "spark")
        assert (props["user"], props["user_source"]) == expected, number
        assert props["engine"] == g.history[number].engineInfo
        assert "Delta-Lake" in props["engine"]


@pytest.mark.neo4j
def test_a_merges_row_and_file_metrics_are_on_its_version(graph_versions: GraphVersions) -> None:
    metrics = json.loads(graph_versions.versions[3]["operation_metrics"])
    assert metrics["numTargetRowsUpdated"] == "1"
    assert metrics["numTargetRowsInserted"] == "1"
    assert metrics["numSourceRows"] == "2"
    assert int(metrics["numTargetFilesAdded"]) >= 1
    parameters = json.loads(graph_versions.versions[3]["operation_parameters"])
    assert "predicate" in parameters


@pytest.mark.neo4j
def test_a_label_prefix_in_user_metadata_labels_the_version_it_created(
    graph_versions: GraphVersions,
) -> None:
    g = graph_versions
    assert len(g.labels) == 1
    label, labelled = g.labels[0]["label"], g.labels[0]["version"]
    assert labelled == 1
    assert (label["name"], label["note"], label["source"]) == ("v1.0", "first load", "userMetadata")
    assert label["key"].endswith("#v1.0")
    assert label["labelled_by"] == g.versions[1]["user"]
    assert label["labelled_at"].to_native().timestamp() * 1000 == g.versions[1]["timestamp"]


def _column_set(props: dict[str, Any]) -> dict[str, tuple[str, str]]:
    names, types, prints = props["columns"], props["column_types"], props["column_fingerprints"]
    assert len(names) == len(types) == len(prints)
    return {name: (type_, fp) for name, type_, fp in zip(names, types, prints, strict=True)}


@pytest.mark.neo4j
def test_every_written_version_has_its_column_set_with_types_and_fingerprints(
    graph_versions: GraphVersions,
) -> None:
    for number, props in graph_versions.versions.items():
        columns = _column_set(props)
        assert list(columns) == (["id", "p", "score"] if number == 5 else ["id", "p"]), number
        assert {t for t, _ in columns.values()} == {"bigint"}
        assert all(len(fp) == 16 and int(fp, 16) >= 0 for _, fp in columns.values()), number


@pytest.mark.neo4j
def test_a_column_computed_another_way_changes_only_its_own_fingerprint(
    graph_versions: GraphVersions,
) -> None:
    before, after = (_column_set(graph_versions.versions[n]) for n in (2, 4))
    assert before["id"] == after["id"]
    assert before["p"][1] != after["p"][1]


@pytest.mark.neo4j
def test_an_added_column_is_in_the_version_that_added_it(graph_versions: GraphVersions) -> None:
    before, after = (_column_set(graph_versions.versions[n]) for n in (4, 5))
    assert set(after) - set(before) == {"score"}
    assert after["score"][0] == "bigint"
