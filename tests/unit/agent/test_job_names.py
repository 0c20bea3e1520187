"""Job identity: ``<application>.<short output name>``, the same across runs, modes and machines."""

from __future__ import annotations

from spark_lineage.event_maker import EventMaker
from spark_lineage.job_names import (
    JobNamer,
    application_label,
    scope_memory_dataset,
    scope_memory_sources,
    training_job_name,
)
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    InputDataset,
    OutputDataset,
    QueryLineage,
    Transformation,
    TransformationSubtype,
)

IDENTITY = Transformation(TransformationSubtype.IDENTITY)


def writes(dataset: DatasetRef, *reads: DatasetRef) -> QueryLineage:
    return QueryLineage(
        inputs=tuple(InputDataset(r) for r in reads),
        outputs=(OutputDataset(dataset),),
    )


def path(name: str) -> DatasetRef:
    return DatasetRef("file", name, "delta")


def test_the_application_is_the_app_name_squeezed() -> None:
    assert application_label("Nightly Orders-ETL") == "nightly_orders_etl"
    assert application_label("***") == "unnamed"


def test_a_catalog_table_is_named_by_its_table_name_not_its_location() -> None:
    table = DatasetRef("file", "/warehouse/crm.db/customers", "delta", table="crm.customers")

    assert JobNamer("enrich").job_name(writes(table)) == "enrich.crm.customers"


def test_a_path_is_named_by_its_last_segment_when_that_is_unique_in_the_application() -> None:
    namer = JobNamer("churn_ingest")

    names = [namer.job_name(writes(path(f"/tmp/x/lake/raw/{t}"))) for t in ("customers", "usage")]

    assert names == ["churn_ingest.customers", "churn_ingest.usage"]


def test_the_same_job_on_another_machine_or_lake_root_has_the_same_name() -> None:
    here = JobNamer("clean").job_name(writes(path("/work/main/var/lake/clean/customers")))
    there = JobNamer("clean").job_name(writes(path("/srv/data/prod-lake/clean/customers")))

    assert here == there == "clean.customers"


def test_two_outputs_with_the_same_tail_stay_two_jobs() -> None:
    namer = JobNamer("app")

    first = namer.job_name(writes(path("/lake/a/x/t")))
    second = namer.job_name(writes(path("/lake/b/x/t")))
    again = namer.job_name(writes(path("/lake/a/x/t")))

    assert (first, second, again) == ("app.t", "app.b/x/t", "app.t")


def test_under_a_lake_root_the_relative_path_names_the_job() -> None:
    namer = JobNamer("clean", lake_root="file:/srv/lake/")

    assert namer.job_name(writes(path("/srv/lake/clean/customers"))) == "clean.clean/customers"
    assert namer.job_name(writes(path("/elsewhere/customers"))) == "clean.customers"
    on_s3 = JobNamer("clean", lake_root="s3a://bucket/lake")
    table = DatasetRef("s3://bucket", "lake/clean/customers", "delta")
    assert on_s3.job_name(writes(table)) == "clean.clean/customers"


def test_a_query_that_writes_nothing_is_a_read_of_its_first_input() -> None:
    namer = JobNamer("report")

    read_only = QueryLineage(inputs=(InputDataset(path("/lake/orders")),))

    assert namer.job_name(read_only) == "report.read.orders"
    assert namer.job_name(QueryLineage()) == "report.read"
    rdd = QueryLineage(inputs=(InputDataset(DatasetRef("memory", "rdd/ab")),))
    rows = scope_memory_sources(rdd, "report")
    assert namer.job_name(rows) == "report.read.rdd/ab"


def test_in_memory_sources_belong_to_their_application() -> None:
    rows = DatasetRef("memory", "range/39b2d34ce4d9")
    target = path("/lake/raw/customers")
    lineage = QueryLineage(
        inputs=(InputDataset(rows),),
        outputs=(OutputDataset(target, edges=(
            ColumnEdge(ColumnRef(rows, "id"), ColumnRef(target, "id"), IDENTITY),
        ), dataset_dependencies=((ColumnRef(rows, "id"), IDENTITY),)),),
    )

    ingest = scope_memory_sources(lineage, "churn_ingest")
    other = scope_memory_sources(lineage, "other-app")

    assert ingest.inputs[0].dataset.name == "churn_ingest/range/39b2d34ce4d9"
    assert ingest.outputs[0].edges[0].source.dataset == ingest.inputs[0].dataset
    assert ingest.outputs[0].dataset_dependencies[0][0].dataset == ingest.inputs[0].dataset
    assert other.inputs[0].dataset.name == "other_app/range/39b2d34ce4d9"
    assert ingest.outputs[0].dataset == target  # real datasets keep their identity
    assert scope_memory_sources(ingest, "churn_ingest") == ingest  # idempotent


def test_a_short_name_an_earlier_run_gave_is_kept_and_later_outputs_avoid_it() -> None:
    namer = JobNamer("app")
    namer.remember(path("/lake/b/x/t"), "t")

    assert namer.job_name(writes(path("/lake/a/x/t"))) == "app.a/x/t"
    assert namer.job_name(writes(path("/lake/b/x/t"))) == "app.t"


def test_a_recorded_model_s_job_is_the_application_s_train_job() -> None:
    assert training_job_name("Churn Train", "churn") == "churn_train.train.churn"


def test_one_in_memory_source_is_scoped_like_those_of_a_query() -> None:
    rows = DatasetRef("memory", "range/ab")

    assert scope_memory_dataset(rows, "Churn Train") == DatasetRef("memory", "churn_train/range/ab")
    assert scope_memory_dataset(path("/lake/x"), "Churn Train") == path("/lake/x")


def test_a_new_run_names_path_outputs_as_the_sinks_store_says_earlier_runs_did() -> None:
    maker = EventMaker(AppContext(app_id="app-2", app_name="daily-export"), namespace="ns")
    earlier = DatasetRef("file", "/lake/a/x/t")
    maker.remember_job_names(
        [
            (earlier, "daily_export.t"),
            (DatasetRef("file", "/lake/z"), "other_app.z"),  # another application: ignored
        ]
    )

    assert maker.namer.short_name(earlier) == "t"
    assert maker.namer.short_name(DatasetRef("file", "/lake/b/x/t")) == "b/x/t"
    assert maker.namer.short_name(DatasetRef("file", "/other/z")) == "z"
