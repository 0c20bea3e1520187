"""Planning a graph migration: which identities are old, and what they become (no Neo4j)."""

from __future__ import annotations

from spark_lineage.graph.migrate_plan import (
    DatasetFact,
    GraphFacts,
    JobFact,
    LeftAlone,
    MemoryFact,
    MigrationPlan,
    plan_migration,
)


def path(name: str, first_seen: int | None = None) -> DatasetFact:
    return DatasetFact(f"file::{name}", "file", name, format="parquet", first_seen=first_seen)


def table(location: str, name: str, first_seen: int | None = None) -> DatasetFact:
    return DatasetFact(f"file::{location}", "file", location, name, "delta", first_seen)


def twin(name: str) -> DatasetFact:
    return DatasetFact(f"spark_catalog::{name}", "spark_catalog", name, name, "delta")


def memory(name: str) -> DatasetFact:
    return DatasetFact(f"memory::{name}", "memory", name)


def job(
    name: str,
    app: str | None = None,
    *functions: str,
    writes: tuple[DatasetFact, ...] = (),
    reads: tuple[DatasetFact, ...] = (),
    models: tuple[str, ...] = (),
) -> JobFact:
    """A job in namespace ``spark``; ``app`` None: no run left."""
    return JobFact(
        f"spark::{name}",
        "spark",
        name,
        app_names=() if app is None else (app,),
        functions=functions,
        writes=writes,
        reads=reads,
        models=models,
    )


def renames(plan: MigrationPlan) -> dict[str, str]:
    return {r.source.removeprefix("spark::"): r.target.removeprefix("spark::")
            for r in plan.job_renames}


CUSTOMERS = table("/wh/customers", "default.customers", first_seen=1)


def test_a_location_less_twin_merges_into_the_located_dataset_of_its_table() -> None:
    for name in ("default.customers", "customers"):  # the staged table named with or without db
        plan = plan_migration(GraphFacts(tables=(twin(name), CUSTOMERS)))

        assert [(m.source, m.target.key) for m in plan.dataset_merges] == [
            (f"spark_catalog::{name}", "file::/wh/customers")
        ]


def test_a_twin_of_two_located_tables_is_left_alone_and_said_why() -> None:
    other = table("/other/customers", "sales.customers")

    plan = plan_migration(GraphFacts(tables=(twin("customers"), CUSTOMERS, other)))

    assert plan.dataset_merges == ()
    assert plan.left_alone == (
        LeftAlone("dataset", "spark_catalog::customers",
                  "2 located datasets are table customers: file::/wh/customers, "
                  "file::/other/customers"),
    )


def test_a_catalog_table_without_a_known_location_is_no_twin() -> None:
    plan = plan_migration(GraphFacts(tables=(twin("default.jdbc_orders"), CUSTOMERS)))

    assert plan == MigrationPlan()


def test_a_shared_in_memory_source_splits_into_one_per_application_that_uses_it() -> None:
    facts = GraphFacts(
        memory=(MemoryFact("memory::range/ab12", "range/ab12",
                           ("spark::ingest.command.x", "spark::report.train.m")),),
        jobs=(job("ingest.command.x", "ingest", "command", writes=(path("/x"),)),
              job("report.train.m", "report", "record_model", models=("m",))),
    )

    plan = plan_migration(facts)

    (split,) = plan.memory_splits
    assert split.source == "memory::range/ab12"
    assert [(c.dataset.key, c.jobs) for c in split.copies] == [
        ("memory::ingest/range/ab12", ("spark::ingest.command.x",)),
        ("memory::report/range/ab12", ("spark::report.train.m",)),
    ]


def test_jobs_per_function_and_mode_become_one_job_per_output() -> None:
    enriched = table("/wh/enriched", "default.enriched", first_seen=5)
    facts = GraphFacts(
        tables=(twin("enriched"), enriched),
        jobs=(
            job("enrich.overwrite.enriched", "enrich", "overwrite", writes=(twin("enriched"),)),
            job("enrich.replace.default_enriched", "enrich", "replace", writes=(enriched,)),
            job("enrich.append.default_enriched", "enrich", "append", writes=(enriched,)),
        ),
    )

    plan = plan_migration(facts)

    assert set(renames(plan).values()) == {"enrich.default.enriched"}
    assert plan.jobs_merged == 2  # three jobs become one
    assert all(r.merged and r.datasets == ("file::/wh/enriched",) for r in plan.job_renames)


def test_paths_lose_the_machine_path_in_the_order_the_application_first_wrote_them() -> None:
    facts = GraphFacts(jobs=(
        job("report.command.tmp_lake_archive_by_segment", "report", "command",
            writes=(path("/tmp/lake/archive/by_segment", first_seen=2),)),
        job("report.command.tmp_lake_reports_by_segment", "report", "command",
            writes=(path("/tmp/lake/reports/by_segment", first_seen=1),)),
        job("report.collecttopython.tmp_lake_out_enriched", "report", "collectToPython",
            reads=(path("/tmp/lake/out/enriched"),)),
    ))

    assert renames(plan_migration(facts)) == {
        "report.command.tmp_lake_reports_by_segment": "report.by_segment",
        "report.command.tmp_lake_archive_by_segment": "report.archive/by_segment",
        "report.collecttopython.tmp_lake_out_enriched": "report.read.enriched",
    }
    assert renames(plan_migration(facts, lake_root="/tmp/lake"))[
        "report.command.tmp_lake_archive_by_segment"
    ] == "report.archive/by_segment"
    assert renames(plan_migration(facts, lake_root="/tmp/lake"))[
        "report.command.tmp_lake_reports_by_segment"
    ] == "report.reports/by_segment"


def test_a_read_of_a_shared_in_memory_source_is_named_after_the_application_s_copy() -> None:
    rows = memory("range/ab12")
    facts = GraphFacts(
        memory=(MemoryFact(rows.key, rows.name, ("spark::app.count.range_ab12",)),),
        jobs=(job("app.count.range_ab12", "app", "count", reads=(rows,)),),
    )

    assert renames(plan_migration(facts)) == {"app.count.range_ab12": "app.read.range/ab12"}


def test_an_old_model_job_is_named_after_the_application_label() -> None:
    facts = GraphFacts(jobs=(
        job("Churn Train.train.churn", "Churn Train", "record_model", models=("churn",)),
    ))

    assert renames(plan_migration(facts)) == {"Churn Train.train.churn": "churn_train.train.churn"}


def test_a_job_whose_runs_were_pruned_is_still_recognised_by_its_dataset() -> None:
    facts = GraphFacts(jobs=(job("clean.command.lake_clean_customers", None,
                                 writes=(path("/lake/clean/customers"),)),))

    assert renames(plan_migration(facts)) == {
        "clean.command.lake_clean_customers": "clean.customers"
    }


def test_an_old_job_merges_into_the_current_job_of_the_same_output() -> None:
    out = path("/srv/lake/out/b/totals", first_seen=9)
    facts = GraphFacts(jobs=(
        job("app.b/totals", "app", "command", writes=(out,)),  # the current agent's name
        job("app.command.srv_lake_out_b_totals", "app", "command", writes=(out,)),
        job("app.command.srv_lake_out_a_totals", "app", "command",
            writes=(path("/srv/lake/out/a/totals", first_seen=1),)),
    ))

    plan = plan_migration(facts)

    assert renames(plan) == {
        "app.command.srv_lake_out_b_totals": "app.b/totals",
        "app.command.srv_lake_out_a_totals": "app.a/totals",  # b/totals is taken
    }
    assert {r.target: r.target_existed for r in plan.job_renames} == {
        "spark::app.b/totals": True,
        "spark::app.a/totals": False,
    }
    assert plan.jobs_merged == 1


def test_an_old_job_avoids_the_short_name_a_current_job_has_for_another_output() -> None:
    facts = GraphFacts(jobs=(
        job("app.totals", "app", "command", writes=(path("/a/totals"),)),
        job("app.command.b_totals", None, writes=(path("/b/totals"),)),
    ))

    plan = plan_migration(facts)

    assert renames(plan) == {"app.command.b_totals": "app.b/totals"}


def test_a_graph_written_by_the_current_agent_needs_no_change() -> None:
    rows = memory("enrich/range/ab12")
    facts = GraphFacts(
        tables=(CUSTOMERS,),
        memory=(MemoryFact(rows.key, rows.name, ("spark::enrich.default.customers",)),),
        jobs=(
            job("enrich.default.customers", "enrich", "replace", writes=(CUSTOMERS,),
                reads=(rows,)),
            job("enrich.customers", "enrich", "command", writes=(path("/lake/customers"),)),
            job("enrich.read.customers", "enrich", "collect", reads=(path("/lake/customers"),)),
            job("crm.train.churn", "CRM job", "record_model", models=("churn",)),
            job("ingest", "ingest"),  # named by hand
        ),
    )

    assert plan_migration(facts) == MigrationPlan()
