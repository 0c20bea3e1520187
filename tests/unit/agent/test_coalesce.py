"""One logical write, one event: the steps Spark reports for one write fold into the outer one."""

from __future__ import annotations

from spark_lineage.coalesce import MAX_HELD, WriteCoalescer
from spark_lineage.events import QueryOutcome, build_event
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    InputDataset,
    LineageEvent,
    OutputDataset,
    QueryLineage,
    SchemaField,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)

APP = AppContext("app-1", "enrich", "etl", "local[2]", "4.1.4")
RAW = DatasetRef("file", "/lake/raw", "parquet")
LOCATION = DatasetRef("file", "/warehouse/mid", "parquet")
TABLE = DatasetRef("file", "/warehouse/mid", "parquet", table="spark_catalog.default.mid")
OTHER = DatasetRef("file", "/warehouse/other", "parquet")


class Clock:
    def __init__(self) -> None:
        self.ms = 0.0

    def __call__(self) -> float:
        return self.ms


def write(
    target: DatasetRef,
    started: int,
    ended: int,
    *,
    edges: bool = True,
    version: int | None = None,
    function: str = "command",
) -> LineageEvent:
    edge = ColumnEdge(
        ColumnRef(RAW, "id"),
        ColumnRef(target, "id"),
        Transformation(TransformationSubtype.IDENTITY),
    )
    output = OutputDataset(
        target,
        schema=(SchemaField("id", "bigint"),),
        edges=(edge,) if edges else (),
        version=VersionInfo(version) if version is not None else None,
    )
    lineage = QueryLineage(inputs=(InputDataset(RAW),), outputs=(output,))
    return build_event(QueryOutcome(function, started, ended), APP, lineage, namespace="ns")


def test_a_parquet_save_as_table_is_one_event_with_the_table_name_and_every_fact() -> None:
    clock = Clock()
    steps = WriteCoalescer(clock)

    # innermost first: InsertIntoHadoopFsRelation, CreateDataSourceTableAsSelect, SaveAsV1Table
    assert steps.push(write(LOCATION, 1_010, 1_500, version=3), nestable=True) == []
    assert steps.push(write(TABLE, 1_005, 1_600, edges=False), nestable=True) == []
    [one] = steps.push(saved := write(TABLE, 1_000, 1_700, edges=False), nestable=False)

    assert one.run_id == saved.run_id
    assert one.job_name == "enrich.spark_catalog.default.mid"
    [output] = one.outputs
    assert output.dataset.table == "spark_catalog.default.mid"
    assert output.version is not None and output.version.version == 3
    assert [e.source.name for e in output.edges] == ["id"]
    assert steps.folded == 2 and steps.holding == 0


def test_a_write_of_its_own_goes_out_when_nothing_encloses_it() -> None:
    clock = Clock()
    steps = WriteCoalescer(clock, hold_ms=1_000)
    held = write(LOCATION, 1_000, 1_200)

    assert steps.push(held, nestable=True) == []
    assert steps.due_in_ms() == 1_000
    clock.ms = 999
    assert steps.expired() == []
    clock.ms = 1_000
    assert steps.expired() == [held]
    assert steps.due_in_ms() is None


def test_a_later_query_in_spark_time_releases_a_held_write_at_once() -> None:
    steps = WriteCoalescer(Clock(), hold_ms=1_000)
    held = write(LOCATION, 1_000, 1_200)
    steps.push(held, nestable=True)

    later = write(OTHER, 5_000, 5_100)
    assert steps.push(later, nestable=False) == [held, later]


def test_writes_of_other_datasets_or_outside_the_window_are_not_folded() -> None:
    steps = WriteCoalescer(Clock())
    inner = write(LOCATION, 1_000, 1_200)
    steps.push(inner, nestable=True)

    other_dataset = write(OTHER, 900, 1_300)
    assert steps.push(other_dataset, nestable=False) == [other_dataset]
    after = write(TABLE, 1_100, 1_300)  # starts after the held one started: not its caller
    assert steps.push(after, nestable=False) == [after]
    assert steps.drain() == [inner]


def test_flush_drains_every_held_write_and_the_held_count_is_bounded() -> None:
    steps = WriteCoalescer(Clock())
    events = [write(DatasetRef("file", f"/lake/t{n}"), 1_000 + n, 1_001 + n) for n in range(70)]
    released: list[LineageEvent] = []
    for event in events:
        released.extend(steps.push(event, nestable=True))

    assert released == events[: 70 - MAX_HELD]
    assert steps.drain() == events[70 - MAX_HELD :]
