"""Tags declared on a real Delta table (written by Spark) reach the graph and propagate."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
from spark_lineage.compliance.delta_metadata import (
    latest_metadata,
    sync_delta_tags,
    tags_from_metadata,
)
from spark_lineage.compliance.propagation import propagate_tags
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    OutputDataset,
    SchemaField,
    Transformation,
    TransformationSubtype,
)

pytestmark = [pytest.mark.integration, pytest.mark.neo4j]


@pytest.fixture()
def tagged_table(spark: Any, tmp_path: Path) -> Path:
    """A Delta table with one tag of each kind: column metadata, comment hashtag, property."""
    from pyspark.sql import functions as F

    path = tmp_path / f"customers-{uuid.uuid4().hex[:8]}"
    frame = spark.createDataFrame(
        [(1, "a@x.org", "+33", "FR")], "id long, email string, phone string, country string"
    )
    frame = frame.withColumn(
        "email", F.col("email").alias("email", metadata={"spark_lineage.tags": "pii"})
    )
    frame.coalesce(1).write.format("delta").save(str(path))
    spark.sql(f"ALTER TABLE delta.`{path}` ALTER COLUMN phone COMMENT 'mobile #pii #sensitive'")
    spark.sql(
        f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('spark_lineage.tags.country' = 'location')"
    )
    return path



def test_spark_written_metadata_declares_the_tags(tagged_table: Path) -> None:
    assert tags_from_metadata(latest_metadata(tagged_table)) == {
        "email": {"pii"},
        "phone": {"pii", "sensitive"},
        "country": {"location"},
    }


def test_metadata_tags_are_synchronised_into_the_graph_and_propagate(
    tagged_table: Path,
    driver: neo4j.Driver,
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = DatasetRef("file", str(tagged_table.resolve()), "delta")
    copy = DatasetRef("file", str(tagged_table.resolve()) + "-copy", "delta")
    namespace = f"compliance-delta-{uuid.uuid4().hex[:8]}"
    fields = tuple(SchemaField(n, "string") for n in ("id", "email", "phone", "country"))
    edges = tuple(
        ColumnEdge(
            ColumnRef(source, n), ColumnRef(copy, n), Transformation(TransformationSubtype.IDENTITY)
        )
        for n in ("email", "phone")
    )
    GraphWriter(driver).write(
        LineageEvent(
            run_id=str(uuid.uuid4()),
            event_type=EventType.COMPLETE,
            job_namespace=namespace,
            job_name="copy",
            event_time_ms=1_000,
            started_at_ms=500,
            ended_at_ms=1_000,
            app=AppContext("app", "copy"),
            inputs=(InputDataset(source, fields),),
            outputs=(OutputDataset(copy, fields[1:3], edges=edges),),
        )
    )
    try:
        key, change = sync_delta_tags(driver, tagged_table)
        assert key == source.key
        assert (change.matched, change.created) == (4, 4)

        monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
        monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
        assert main(["tags", "from-delta", "--uri", neo4j_uri, str(tagged_table)]) == 0

        propagate_tags(driver, tags=["location", "sensitive"])
        with driver.session() as session:
            carried = sorted(
                (r["column"], r["tag"], r["carry"])
                for r in session.run(
                    "MATCH (c:Column)-[r:TAGGED {source: 'propagated'}]->(t:Tag) "
                    "WHERE c.dataset_key = $copy RETURN c.key AS column, t.name AS tag, "
                    "r.carry AS carry",
                    copy=copy.key,
                )
            )
        assert (
            "file::" + str(tagged_table.resolve()) + "-copy::phone",
            "sensitive",
            "clear",
        ) in carried
    finally:
        with driver.session() as session:
            session.run(
                "MATCH (c:Column)-[r:TAGGED]->() WHERE c.dataset_key IN $keys DELETE r",
                keys=[source.key, copy.key],
            ).consume()
        delete_scope(driver, source.key, f"{namespace}::")
