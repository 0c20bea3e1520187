"""Propagation and export at a modest scale, with timings printed (`pytest -s` shows them).

40 tagged columns over a 10-table, 200-column, 9-job chain (three runs per job, even columns
hashed by the fifth job, one filter column per job): the counts are exact, a rerun writes nothing,
and an export of the tag verifies. docs/compliance.md quotes the timings.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.compliance.export import ExportRequest, ExportScope, run_export
from spark_lineage.compliance.manifest import verify_manifest
from spark_lineage.compliance.propagation import propagate_tags
from spark_lineage.compliance.tagging import tag_columns
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
    VersionInfo,
)

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

WIDTH, TABLES, TAGGED, RUNS = 200, 10, 40, 3
T0 = 1_041_379_200_000  # 2003-01-01


@pytest.fixture()
def chain(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[tuple[neo4j.Driver, str, str]]:
    token = uuid.uuid4().hex[:8]
    root, namespace = f"/compliance-scale-{token}", f"compliance-scale-{token}"
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        tables = [DatasetRef("file", f"{root}/t{i}", "delta") for i in range(TABLES)]
        schema = tuple(SchemaField(f"c{j}", "string") for j in range(WIDTH))
        writer = GraphWriter(driver)
        for i in range(1, TABLES):
            edges = tuple(
                ColumnEdge(
                    ColumnRef(tables[i - 1], f"c{j}"),
                    ColumnRef(tables[i], f"c{j}"),
                    Transformation(TransformationSubtype.IDENTITY, masking=(i == 5 and j % 2 == 0)),
                )
                for j in range(WIDTH)
            )
            steer = (
                (ColumnRef(tables[i - 1], "c1"), Transformation(TransformationSubtype.FILTER)),
            )
            for run in range(RUNS):
                at = T0 + (i * RUNS + run) * 60_000
                writer.write(
                    LineageEvent(
                        str(uuid.uuid4()),
                        EventType.COMPLETE,
                        namespace,
                        f"job{i}",
                        at,
                        at - 1_000,
                        at,
                        AppContext("app", "scale"),
                        inputs=(InputDataset(tables[i - 1], schema),),
                        outputs=(
                            OutputDataset(
                                tables[i],
                                schema,
                                edges=edges,
                                dataset_dependencies=steer,
                                version=VersionInfo(run),
                            ),
                        ),
                    )
                )
        tag = f"scale_{token}"
        tag_columns(driver, tables[0].name, [f"c{j}" for j in range(TAGGED)], [tag])
        yield driver, tag, root
        with driver.session() as session:
            session.run("MATCH (t:Tag {name: $tag}) DETACH DELETE t", tag=tag).consume()
        delete_scope(driver, f"file::{root}", f"{namespace}::")


def test_forty_tagged_columns_through_nine_jobs(
    chain: tuple[neo4j.Driver, str, str], tmp_path: Path
) -> None:
    driver, tag, _ = chain
    started = time.perf_counter()
    first = propagate_tags(driver, tags=[tag])
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    rerun = propagate_tags(driver, tags=[tag])
    rerun_s = time.perf_counter() - started
    started = time.perf_counter()
    result = run_export(driver, ExportRequest(tmp_path, ExportScope((tag,)), T0 + 86_400_000, T0))
    export_s = time.perf_counter() - started
    print(
        f"\npropagate {first_s:.2f}s, rerun {rerun_s:.2f}s, export {export_s:.2f}s "
        f"({result.rows['tagged_columns']} + {result.rows['activity']} rows)"
    )

    # 39 plain origins reach their column in 9 tables; c1 filters every job, so it reaches every
    # column of tables 1-9 (its own chain in clear, the others indirectly).
    assert first.propagated == 39 * (TABLES - 1) + WIDTH * (TABLES - 1)
    assert (rerun.written, rerun.removed) == (0, 0)
    assert result.rows["tagged_columns"] == TAGGED + first.propagated
    assert result.runs == (TABLES - 1) * RUNS
    assert verify_manifest(result.manifest).ok
