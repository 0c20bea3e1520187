"""``spark-lineage migrate`` on a graph built by the agent of commit 665031d, on the real Neo4j.

``tests/fixtures/graphs/old_main_events.jsonl`` holds the OpenLineage events that old agent wrote
for a small three-application pipeline, and ``new_main_events.jsonl`` those of the same pipeline
under today's agent (``make_pipeline_events.py`` made both). Loaded with ``spark-lineage load``,
the old events give a graph with every identity defect of the old agent: location-less twins of
catalog tables, one job per write function with the machine's path in its name, and one
in-memory source shared by every application. After ``spark-lineage migrate`` that graph has the
same datasets, columns, jobs and lineage edges as the graph of today's agent, which itself is left
exactly as it was; a second migration changes nothing.

Isolation: each load gets its own copy of the fixture, with every application and table name
(``oldmain_...``) and every run id made unique to it; the test deletes its copies afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope, snapshot

from spark_lineage.cli import main
from spark_lineage.graph.migrate import apply_plan, read_facts
from spark_lineage.graph.migrate_plan import MigrationPlan, plan_migration
from spark_lineage.graph.writer import GraphWriter
from spark_lineage.impact.api import impact
from spark_lineage.impact.model import LineageRow
from spark_lineage.model import (
    AppContext,
    ColumnEdge,
    ColumnRef,
    DatasetRef,
    EventType,
    InputDataset,
    LineageEvent,
    ModelInfo,
    OutputDataset,
    SchemaField,
    Transformation,
    TransformationSubtype,
    VersionInfo,
)
from spark_lineage.openlineage_load import run_event_to_lineage

pytestmark = pytest.mark.neo4j

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "graphs"
#: Where the fixture pipeline ran (a fixed path, so that the events do not depend on a temp dir).
ROOT = "/tmp/old-main-fixture"
#: The in-memory source (``spark.range(0, 6)``) all three applications read.
SHARED_RANGE = "memory::range/d59bf1bdf02e"
#: Every node of a copy is in one of these key spaces; its name part carries the copy's token.
KEY_SPACES = (f"file::{ROOT}/", "memory::", "spark_catalog::")
#: Asks Neo4j for the nodes delete_scope does not cover (models and tags of the test).
CLEANUP = (
    "MATCH (n) WHERE (n:Model AND n.name STARTS WITH $prefix) OR (n:Tag AND n.name = $tag) "
    "DETACH DELETE n"
)


@dataclass
class Copy:
    """One load of a fixture: its events file and the token in all of its names."""

    token: str
    events: Path

    @property
    def prefix(self) -> str:
        return f"oldmain{self.token}_"

    @property
    def tag(self) -> str:
        return f"pii{self.token}"

    def key(self, text: str) -> str:
        """A key of the fixture (with ``oldmain_`` names) as it is in this copy."""
        return text.replace("oldmain_", self.prefix)

    def generic(self, text: str) -> str:
        """A key of this copy with the token taken out, to compare copies."""
        return text.replace(self.prefix, "oldmain_")

    def dataset_keys(self) -> set[str]:
        keys = set()
        for line in self.events.read_text().splitlines():
            event = json.loads(line)
            for item in [*event.get("inputs", []), *event.get("outputs", [])]:
                keys.add(f"{item['namespace']}::{item['name']}")
        return keys


def copy_of(fixture: str, directory: Path) -> Copy:
    """The fixture with its names and run ids made unique: ``oldmain_`` -> ``oldmain<token>_``."""
    token = uuid.uuid4().hex[:8]
    text = (FIXTURES / fixture).read_text().replace("oldmain_", f"oldmain{token}_")
    for line in text.splitlines():
        run_id = json.loads(line)["run"]["runId"]
        text = text.replace(run_id, str(uuid.uuid5(uuid.UUID(run_id), token)))
    path = directory / f"{token}-{fixture}"
    path.write_text(text)
    return Copy(token, path)


@dataclass
class Scope:
    """A copy's part of the graph: nodes by label and key, relationships, lineage edges."""

    nodes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    relationships: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    def keys(self, label: str) -> set[str]:
        return set(self.nodes.get(label, {}))

    def edges(self) -> dict[tuple[str, str, str, str, str], dict[str, Any]]:
        """FEEDS and FEEDS_DATASET by (type, source, target, job, subtype)."""
        return {
            (kind, start, end, props["job"], props["subtype"]): props
            for kind, start, end, props in self.relationships
            if kind in ("FEEDS", "FEEDS_DATASET")
        }


class Graph:
    """The test's handle on Neo4j: the CLI with connection flags, and reads of a copy's scope."""

    def __init__(self, driver: neo4j.Driver, flags: list[str]) -> None:
        self.driver = driver
        self.flags = flags

    def cli(self, *argv: str) -> str:
        """Run ``spark-lineage`` in this process; its standard output."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = main([*argv, *self.flags])
        assert status == 0, out.getvalue()
        return out.getvalue()

    def load(self, copy: Copy) -> None:
        assert "0 line(s) rejected" in self.cli("load", str(copy.events))

    def migrate(self, *options: str) -> dict[str, Any]:
        report: dict[str, Any] = json.loads(self.cli("migrate", "--format", "json", *options))
        return report

    def scope(self, copy: Copy) -> Scope:
        """Every node whose key carries the copy's token (and its runs), with what leaves them."""
        scope = Scope()
        jobs = f"spark::{copy.prefix}"
        shared = SHARED_RANGE if SHARED_RANGE in copy.dataset_keys() else copy.token

        def mine(key: str) -> bool:
            return copy.token in key or key.startswith(shared)

        for space in KEY_SPACES:
            part = snapshot(self.driver, space, jobs)
            for label, key, props in part.nodes:
                if mine(key) or label == "Run":
                    scope.nodes.setdefault(label, {})[key] = props
            for rel in part.relationships:
                start = rel[1]
                if (mine(start) or start in scope.nodes.get("Run", {})) and (
                    rel not in scope.relationships
                ):
                    scope.relationships.append(rel)
        scope.relationships.sort(key=lambda r: (r[0], r[1], r[2], sorted(r[3].items())))
        return scope

    def delete(self, copy: Copy) -> None:
        for key in {*copy.dataset_keys(), f"memory::{copy.prefix}"}:
            delete_scope(self.driver, key, f"spark::{copy.prefix}")
        with self.driver.session() as session:
            session.run(CLEANUP, prefix=copy.prefix, tag=copy.tag).consume()



@pytest.fixture(scope="module")
def graph(
    driver: neo4j.Driver, neo4j_uri: str, neo4j_auth: tuple[str, str]
) -> Iterator[Graph]:
    """The graph, and the CLI's connection flags (the password through the environment)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
        patch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
        yield Graph(driver, ["--uri", neo4j_uri, "--user", neo4j_auth[0]])


CUSTOMERS = f"file::{ROOT}/warehouse/oldmain_customers"


@dataclass
class Migration:
    """An old graph and today's, before and after ``migrate``, which runs twice."""

    old: Copy
    new: Copy
    before: Scope
    today_before: Scope
    impact_before: dict[str, list[LineageRow]]
    first: dict[str, Any]
    after: Scope
    today_after: Scope
    impact_after: dict[str, list[LineageRow]]
    second: dict[str, Any]
    after_second: Scope


@pytest.fixture(scope="module")
def migration(graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migration]:
    directory = tmp_path_factory.mktemp("migration")
    old = copy_of("old_main_events.jsonl", directory)
    new = copy_of("new_main_events.jsonl", directory)
    try:
        graph.load(old)
        graph.load(new)
        record_model(graph.driver, old)
        graph.cli("tag", old.key("spark_catalog::oldmain_customers"), "-c", "name", "-t", old.tag)
        graph.cli("tags", "propagate")
        before, today_before = graph.scope(old), graph.scope(new)
        impact_before = impacts(graph.driver, old, [SHARED_RANGE])
        first = graph.migrate()
        after, today_after = graph.scope(old), graph.scope(new)
        copies = next(s["to"] for s in first["memory_sources_split"] if s["from"] == SHARED_RANGE)
        impact_after = impacts(graph.driver, old, copies)
        second = graph.migrate()
        yield Migration(old, new, before, today_before, impact_before, first, after,
                        today_after, impact_after, second, graph.scope(old))
    finally:
        graph.delete(old)
        graph.delete(new)


def record_model(driver: neo4j.Driver, copy: Copy) -> None:
    """The model of the fixture's ``record_model`` event (``load`` does not read model facets)."""
    line = next(ln for ln in copy.events.read_text().splitlines() if "record_model" in ln)
    event = run_event_to_lineage(json.loads(line))
    model = ModelInfo(copy.key("oldmain_churn"), "1", uri=f"{ROOT}/models/churn")
    GraphWriter(driver).write(dataclasses.replace(event, model=model))


def impacts(
    driver: neo4j.Driver, copy: Copy, memory_sources: list[str]
) -> dict[str, list[LineageRow]]:
    """What a column of the customers table and the in-memory rows' id reach downstream."""
    reports = {"customers.id": list(impact(driver, copy.key(CUSTOMERS), column="id").rows)}
    reports["range.id"] = [
        row for source in memory_sources for row in impact(driver, source, column="id").rows
    ]
    return reports


def mine(copy: Copy, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report entries about one copy (the server may hold other graphs)."""
    return [e for e in entries if copy.token in json.dumps(e)]


class Renames:
    """Old keys to new ones, as a migration report says."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.datasets = {m["from"]: m["to"] for m in report["datasets_merged"]}
        self.memory = {s["from"]: s["to"] for s in report["memory_sources_split"]}
        self.jobs = {r["from"]: r["to"] for r in report["jobs_renamed"]}

    def job(self, key: str) -> str:
        return self.jobs.get(key, key)

    def dataset(self, key: str, job: str = "") -> str:
        """A dataset's new key; an in-memory one's depends on the application of the job."""
        if key in self.memory:
            application = self.job(job).split("::", 1)[1].split(".", 1)[0]
            return next(c for c in self.memory[key] if c.startswith(f"memory::{application}/"))
        return self.datasets.get(key, key)

    def column(self, key: str, job: str = "") -> str:
        dataset, _, column = key.rpartition("::")
        return f"{self.dataset(dataset, job)}::{column}"


# --- before: the old agent's graph --------------------------------------------------------------


def test_the_old_graph_has_twins_jobs_per_function_and_a_shared_in_memory_source(
    migration: Migration,
) -> None:
    old, before = migration.old, migration.before

    twins = {old.generic(k) for k in before.keys("Dataset") if k.startswith("spark_catalog::")}
    jobs = {old.generic(k) for k in before.keys("Job")}
    runs = before.nodes["Run"]
    readers = {runs[start]["app_name"] for kind, start, end, _ in before.relationships
               if kind == "READ" and end == SHARED_RANGE}

    assert twins == {"spark_catalog::oldmain_customers", "spark_catalog::oldmain_enriched"}
    assert {
        "spark::oldmain_enrich.overwrite.oldmain_enriched",
        "spark::oldmain_enrich.replace.default_oldmain_enriched",
        "spark::oldmain_enrich.append.default_oldmain_enriched",
        "spark::oldmain_enrich.command.tmp_old_main_fixture_lake_out_oldmain_enriched",
        "spark::oldmain_report.collecttopython.tmp_old_main_fixture_lake_out_oldmain_enriched",
    } <= jobs
    assert readers == {old.key("oldmain_ingest"), old.key("oldmain_enrich"),
                       old.key("oldmain_report")}


# --- the migration ------------------------------------------------------------------------------


def test_migrate_reports_every_change(migration: Migration) -> None:
    old, report = migration.old, migration.first

    merged = [(old.generic(m["from"]), old.generic(m["to"]))
              for m in mine(old, report["datasets_merged"])]
    (split,) = mine(old, report["memory_sources_split"])
    renamed = {old.generic(r["from"]).removeprefix("spark::oldmain_"):
               old.generic(r["to"]).removeprefix("spark::oldmain_")
               for r in mine(old, report["jobs_renamed"])}

    assert merged == [
        ("spark_catalog::oldmain_customers", f"file::{ROOT}/warehouse/oldmain_customers"),
        ("spark_catalog::oldmain_enriched", f"file::{ROOT}/warehouse/oldmain_enriched"),
    ]
    assert split["from"] == SHARED_RANGE
    assert [copy for copy in split["to"] if old.token in copy] == [
        old.key(f"memory::oldmain_{app}/range/d59bf1bdf02e") for app in ("enrich", "ingest",
                                                                       "report")
    ]
    assert renamed == {
        "ingest.command.tmp_old_main_fixture_lake_raw_oldmain_customers":
            "ingest.oldmain_customers",
        "ingest.overwrite.oldmain_customers": "ingest.default.oldmain_customers",
        "ingest.replace.default_oldmain_customers": "ingest.default.oldmain_customers",
        "enrich.command": "enrich.read",
        "enrich.overwrite.oldmain_enriched": "enrich.default.oldmain_enriched",
        "enrich.replace.default_oldmain_enriched": "enrich.default.oldmain_enriched",
        "enrich.append.default_oldmain_enriched": "enrich.default.oldmain_enriched",
        "enrich.command.tmp_old_main_fixture_lake_out_oldmain_enriched":
            "enrich.oldmain_enriched",
        "report.command.tmp_old_main_fixture_lake_reports_oldmain_by_segment":
            "report.oldmain_by_segment",
        "report.command.tmp_old_main_fixture_lake_archive_oldmain_by_segment":
            "report.archive/oldmain_by_segment",
        "report.collecttopython.tmp_old_main_fixture_lake_out_oldmain_enriched":
            "report.read.oldmain_enriched",
    }
    assert mine(old, report["left_alone"]) == []
    counts = report["counts"]
    assert counts["datasets_merged"] == len(report["datasets_merged"])
    assert counts["jobs_renamed"] == len(report["jobs_renamed"])
    assert counts["memory_sources_split"] == len(report["memory_sources_split"])
    assert counts["jobs_merged"] >= 3  # 3 enrich jobs become 1, 2 ingest jobs become 1


def test_the_old_graph_now_has_the_identities_of_todays_agent(migration: Migration) -> None:
    old, new, after, today = migration.old, migration.new, migration.after, migration.today_after

    for label in ("Dataset", "Column", "Job"):
        assert {old.generic(k) for k in after.keys(label)} == {
            new.generic(k) for k in today.keys(label)
        }, label
    assert {tuple(old.generic(part) for part in edge) for edge in after.edges()} == {
        tuple(new.generic(part) for part in edge) for edge in today.edges()
    }


def test_one_dataset_per_table_jobs_without_function_or_path_memory_per_application(
    migration: Migration,
) -> None:
    old, after = migration.old, migration.after

    datasets = {old.generic(k) for k in after.keys("Dataset")}
    jobs = [after.nodes["Job"][k]["name"] for k in sorted(after.keys("Job"))]

    assert not any(k.startswith("spark_catalog::") for k in datasets)
    assert {k for k in datasets if k.startswith("memory::")} == {
        f"memory::oldmain_{app}/range/d59bf1bdf02e" for app in ("ingest", "enrich", "report")
    }
    for name in jobs:
        application, _, rest = name.partition(".")
        assert application.startswith(old.prefix), name
        assert rest.split(".")[0] not in {"command", "overwrite", "replace", "append",
                                           "collecttopython"}, name
        assert "tmp_old_main_fixture" not in rest and ROOT not in rest, name
    runs = after.nodes["Run"].values()
    assert all(run["job_key"] in after.keys("Job") for run in runs)
    assert all(len([r for r in after.relationships if r[0] == "OF_JOB" and r[1] == run_id]) == 1
               for run_id in after.nodes["Run"])


def test_every_edge_keeps_the_runs_of_the_edges_merged_into_it(migration: Migration) -> None:
    renames = Renames(migration.first)
    expected: dict[tuple[str, ...], dict[str, int]] = {}
    for (kind, source, target, job, subtype), props in migration.before.edges().items():
        end = renames.column(target, job) if kind == "FEEDS" else renames.dataset(target, job)
        key = (kind, renames.column(source, job), end, renames.job(job), subtype)
        merged = expected.setdefault(key, {"runs": 0, "first_seen": 2**62, "last_seen": 0})
        merged["runs"] += props["runs"]
        merged["first_seen"] = min(merged["first_seen"], props["first_seen"])
        merged["last_seen"] = max(merged["last_seen"], props["last_seen"])

    assert {
        key: {field_: props[field_] for field_ in ("runs", "first_seen", "last_seen")}
        for key, props in migration.after.edges().items()
    } == expected
    runs = [props["runs"] for props in migration.after.edges().values()]
    assert sum(runs) == sum(p["runs"] for p in migration.before.edges().values())


def test_impact_reaches_the_same_columns_under_their_new_keys_each_once(
    migration: Migration,
) -> None:
    renames = Renames(migration.first)
    rows = migration.impact_after["customers.id"]

    assert {row.column_key: (row.depth, set(row.jobs)) for row in rows} == impact_before(
        migration, renames, "customers.id"
    )
    assert len(rows) == len({row.column_key for row in rows})  # a twin's columns are gone
    # What the shared rows reached, the applications' own copies reach together.
    assert {row.column_key for row in migration.impact_after["range.id"]} == set(
        impact_before(migration, renames, "range.id")
    )


def impact_before(
    migration: Migration, renames: Renames, start: str
) -> dict[str, tuple[int, set[str]]]:
    """The impact before the migration, in new keys: per column its least depth and jobs."""
    result: dict[str, tuple[int, set[str]]] = {}
    for row in migration.impact_before[start]:
        column = renames.column(row.column_key)
        jobs = {renames.job(j) for j in row.jobs}
        known = result.get(column)
        if known is None or row.depth < known[0]:
            result[column] = (row.depth, jobs)
        elif row.depth == known[0]:
            result[column] = (row.depth, known[1] | jobs)
    return result


def test_tags_and_models_follow_their_datasets(migration: Migration, graph: Graph) -> None:
    old = migration.old
    customers_name = old.key(f"{CUSTOMERS}::name")

    rows = json.loads(graph.cli("tags", "list", "--tag", old.tag, "--format", "json"))
    model = json.loads(graph.cli("reproduce", f"model:{old.key('oldmain_churn')}@1",
                                 "--format", "json"))

    assert {(r["column"], r["carry"]) for r in rows if r["carry"] == "source"} == {
        (customers_name, "source")
    }
    carried = {r["column"] for r in rows if r["carry"] != "source"}
    assert old.key(f"file::{ROOT}/warehouse/oldmain_enriched::name") in carried
    assert {r["origin_column"] for r in rows} == {customers_name}
    assert migration.first["tags_propagated"]["written"] >= 1
    assert [i["dataset"] for i in model["inputs"]] == [
        old.key("memory::oldmain_report/range/d59bf1bdf02e")
    ]


def test_a_graph_written_by_todays_agent_is_left_exactly_as_it_was(migration: Migration) -> None:
    report = migration.first

    assert migration.today_after == migration.today_before
    assert all(mine(migration.new, report[part]) == [] for part in (
        "datasets_merged", "memory_sources_split", "jobs_renamed", "left_alone"))


def test_a_second_migration_changes_nothing(migration: Migration) -> None:
    second = migration.second

    assert second["changes"] == 0
    assert {k: v for k, v in second["counts"].items() if k != "left_alone"} == {
        "datasets_merged": 0, "jobs_renamed": 0, "jobs_merged": 0, "memory_sources_split": 0,
        "memory_copies": 0,
    }
    assert second["relationships_moved"] == 0 and "tags_propagated" not in second
    assert migration.after_second == migration.after


def test_a_migration_interrupted_between_steps_is_finished_by_the_next_one(
    graph: Graph, migration: Migration, tmp_path: Path
) -> None:
    old = copy_of("old_main_events.jsonl", tmp_path)
    try:
        graph.load(old)
        with graph.driver.session() as session:
            plan = plan_migration(read_facts(session))
        renames = [r for r in plan.job_renames if old.token in r.source]
        (split,) = [s for s in plan.memory_splits if s.source == SHARED_RANGE]
        partial = MigrationPlan(
            plan.dataset_merges,
            (dataclasses.replace(split, copies=split.copies[:1]),),
            tuple(renames[: len(renames) // 2]),
        )
        apply_plan(graph.driver, partial)  # ... and then the process died

        report = graph.migrate()
        done = graph.scope(old)

        assert report["changes"] > 0
        for label in ("Dataset", "Column", "Job"):
            assert {old.generic(k) for k in done.keys(label)} == {
                migration.old.generic(k) for k in migration.after.keys(label)
            }, label
        assert {tuple(old.generic(p) for p in edge): props["runs"]
                for edge, props in done.edges().items()} == {
            tuple(migration.old.generic(p) for p in edge): props["runs"]
            for edge, props in migration.after.edges().items()
        }
    finally:
        graph.delete(old)


def test_edges_that_become_one_count_a_run_they_share_once(
    graph: Graph, tmp_path: Path
) -> None:
    """The inner and outer write of one CTAS, reported under one run id: one run, not two."""
    token = uuid.uuid4().hex[:8]
    namespace, app, table = f"migrate{token}", f"app{token}", f"t{token}"
    raw = DatasetRef("file", f"{tmp_path}/raw", "parquet")
    twin = DatasetRef("spark_catalog", table, "delta", table)
    located = DatasetRef("file", f"{tmp_path}/wh/{table}", "delta", f"default.{table}")
    shared_run, later_run = str(uuid.uuid4()), str(uuid.uuid4())
    writes = [
        (shared_run, f"{app}.command.{table}", twin, T1),
        (shared_run, f"{app}.command.default_{table}", located, T2),
        (later_run, f"{app}.command.default_{table}", located, T3),
    ]
    writer = GraphWriter(graph.driver)
    for run_id, job, target, at in writes:
        writer.write(copy_event(namespace, app, run_id, job, raw, target, at))
    try:
        report = graph.migrate()

        assert [r["to"] for r in report["jobs_renamed"] if token in r["to"]] == [
            f"{namespace}::{app}.default.{table}"
        ] * 2
        edge = next(props for kind, start, end, props in
                    snapshot(graph.driver, f"file::{tmp_path}", f"{namespace}::").relationships
                    if kind == "FEEDS")
        assert edge["job"] == f"{namespace}::{app}.default.{table}"
        assert (edge["runs"], edge["recent_runs"]) == (2, [later_run, shared_run])
        assert (edge["first_seen"], edge["last_seen"], edge["last_run_id"]) == (T1, T3, later_run)
    finally:
        delete_scope(graph.driver, f"file::{tmp_path}", f"{namespace}::")
        delete_scope(graph.driver, f"spark_catalog::{table}", f"{namespace}::")


T1, T2, T3 = 978_307_200_000, 978_307_260_000, 978_310_800_000


def copy_event(
    namespace: str, app: str, run_id: str, job: str, source: DatasetRef, target: DatasetRef,
    at: int,
) -> LineageEvent:
    """An old agent's event: ``source.id`` copied into ``target.id`` by a ``command``."""
    schema = (SchemaField("id", "bigint"),)
    edge = ColumnEdge(ColumnRef(source, "id"), ColumnRef(target, "id"),
                      Transformation(TransformationSubtype.IDENTITY))
    return LineageEvent(
        run_id, EventType.COMPLETE, namespace, job, at, at - 1000, at, AppContext("id", app),
        inputs=(InputDataset(source, schema),),
        outputs=(OutputDataset(target, schema, edges=(edge,)),),
        function_name="command",
    )


# --- dry run ------------------------------------------------------------------------------------


def test_a_dry_run_says_what_it_would_change_and_changes_nothing(
    graph: Graph, tmp_path: Path
) -> None:
    old = copy_of("old_main_events.jsonl", tmp_path)
    try:
        graph.load(old)
        before = graph.scope(old)

        report = graph.migrate("--dry-run", "--lake-root", f"{ROOT}/lake")
        text = graph.cli("migrate", "--dry-run")

        assert report["dry_run"] is True and report["relationships_moved"] == 0
        renamed = {old.generic(r["from"]): old.generic(r["to"])
                   for r in mine(old, report["jobs_renamed"])}
        assert renamed[
            "spark::oldmain_report.command.tmp_old_main_fixture_lake_reports_oldmain_by_segment"
        ] == "spark::oldmain_report.reports/oldmain_by_segment"  # relative to the lake root
        assert len(mine(old, report["datasets_merged"])) == 2
        assert text.startswith("migrate (dry run, nothing changed): would merge ")
        assert f"  dataset {old.key('spark_catalog::oldmain_customers')} -> " in text
        assert graph.scope(old) == before
    finally:
        graph.delete(old)


# --- versions: their who and why, labels, history and diff ----------------------------------------

#: Epoch milliseconds of the versions' commits (late 2025, later than any suite prunes).
VERSIONS_DAY = 1_764_000_000_000
DAY = 86_400_000


@dataclass(frozen=True)
class VersionedTable:
    """A features table written by today's agent (``located``) or, under its old identity, into
    its location-less twin (``twin``); a raw input and a model trained on it twice."""

    token: str

    @property
    def root(self) -> str:
        return f"/itest-migrate-versions-{self.token}"

    @property
    def raw(self) -> DatasetRef:
        return DatasetRef("file", f"{self.root}/raw", "delta")

    @property
    def located(self) -> DatasetRef:
        table = f"t{self.token}"
        return DatasetRef("file", f"{self.root}/wh/{table}", "delta", f"default.{table}")

    @property
    def twin(self) -> DatasetRef:
        return DatasetRef("spark_catalog", f"t{self.token}", "delta", f"t{self.token}")

    @property
    def namespace(self) -> str:
        return f"migrate-versions-{self.token}"

    @property
    def model(self) -> str:
        return f"churn{self.token}"

    def run_id(self, step: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.token}/{step}"))

    def delete(self, driver: neo4j.Driver) -> None:
        for prefix in (f"file::{self.root}", self.twin.key):
            delete_scope(driver, prefix, f"{self.namespace}::")
        with driver.session() as session:
            session.run(CLEANUP, prefix=self.model, tag="-").consume()


def version_events(table: VersionedTable, target: DatasetRef) -> list[LineageEvent]:
    """The features table's story, its versions written into ``target``: an unversioned create
    of the located table, a first load, a MERGE that labels itself through userMetadata, and a
    model trained on each version."""
    schema = (SchemaField("id", "bigint"), SchemaField("minutes", "double"))
    added = (*schema, SchemaField("minutes_per_active_day", "double"))
    fingerprints = {"id": "f-id", "minutes": "f-minutes"}

    def event(step: str, at: int, *, reads: tuple[tuple[DatasetRef, int], ...] = (),
              output: OutputDataset | None = None, model: ModelInfo | None = None,
              user: str = "etl-bot") -> LineageEvent:
        return LineageEvent(
            table.run_id(step), EventType.COMPLETE, table.namespace, f"app.{step}", at, at - 1000,
            at, AppContext(f"id-{step}", "app", user=user),
            inputs=tuple(InputDataset(ds, version=VersionInfo(v)) for ds, v in reads),
            outputs=(output,) if output else (), model=model,
        )

    first = VersionInfo(0, VERSIONS_DAY + 100, "CREATE OR REPLACE TABLE AS SELECT",
                        operation_metrics={"numOutputRows": "10", "numFiles": "1"},
                        user_metadata="first load", engine="Apache-Spark/3.5.3 Delta-Lake/3.2.1")
    merge = VersionInfo(1, VERSIONS_DAY + DAY, "MERGE",
                        operation_parameters={"predicate": '["(s.id = t.id)"]'},
                        operation_metrics={"numTargetRowsInserted": "4", "numOutputRows": "14"},
                        user_metadata="label:v1.1 adds minutes_per_active_day",
                        engine="Apache-Spark/3.5.3 Delta-Lake/3.2.1", user_name="ana")
    return [
        event("ingest", VERSIONS_DAY, output=OutputDataset(
            table.raw, schema, version=VersionInfo(0, VERSIONS_DAY, "WRITE"))),
        event("create", VERSIONS_DAY + 50, output=OutputDataset(table.located, schema)),
        event("features", VERSIONS_DAY + 100, reads=((table.raw, 0),), output=OutputDataset(
            target, schema, version=first, column_fingerprints=fingerprints)),
        event("train1", VERSIONS_DAY + 200, reads=((target, 0),), user="ml", model=ModelInfo(
            table.model, "1", feature_columns=("minutes",),
            trained_columns={target.key: ("minutes",)})),
        event("merge", VERSIONS_DAY + DAY, reads=((table.raw, 0), (target, 0)),
              output=OutputDataset(target, added, version=merge, column_fingerprints={
                  **fingerprints, "minutes": "f-minutes-2", "minutes_per_active_day": "f-mpad"})),
        event("train2", VERSIONS_DAY + DAY + 200, reads=((target, 1),), user="ml",
              model=ModelInfo(table.model, "2", feature_columns=("minutes",
                                                                 "minutes_per_active_day"),
                              trained_columns={target.key: ("minutes",
                                                            "minutes_per_active_day")})),
    ]


def timeline_answers(graph: Graph, table: VersionedTable) -> dict[str, Any]:
    """What history, diff and label answer about the located table and the model, with this
    table's token and run ids in the other table's spelling (``generic``)."""
    key, model = table.located.key, f"model:{table.model}"
    answers: dict[str, Any] = {
        "history": json.loads(graph.cli("history", key, "--format", "json")),
        "history_table": graph.cli("history", key, "--format", "table", "--wide"),
        "model_history": json.loads(graph.cli("history", model, "--format", "json")),
        "diff": json.loads(graph.cli("diff", f"{key}@baseline", f"{key}@v1.1", "--format",
                                     "json")),
        "model_diff": json.loads(graph.cli("diff", f"{model}@1", f"{model}@2", "--format",
                                           "json")),
        "relabel": cli_error(graph, "label", f"{key}@1", "baseline"),
    }
    text = json.dumps(answers, sort_keys=True)
    for step in ("ingest", "create", "features", "train1", "merge", "train2"):
        text = text.replace(table.run_id(step), f"<run {step}>")
    return dict(json.loads(text.replace(table.token, "<token>")))


def cli_error(graph: Graph, *argv: str) -> tuple[int, str]:
    """A refused command's exit status and message."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main([*argv, *graph.flags])
    return status, err.getvalue()


def test_migrated_versions_answer_history_diff_and_label_as_freshly_written_ones(
    graph: Graph,
) -> None:
    fresh, old = VersionedTable(uuid.uuid4().hex[:8]), VersionedTable(uuid.uuid4().hex[:8])
    writer = GraphWriter(graph.driver)
    try:
        for table, target in ((fresh, fresh.located), (old, old.twin)):
            for event in version_events(table, target):
                writer.write(event)
            graph.cli("label", f"{target.key}@0", "baseline", "--note", "first cut")
        expected = timeline_answers(graph, fresh)

        report = graph.migrate()

        assert {"from": old.twin.key, "to": old.located.key} in report["datasets_merged"]
        assert timeline_answers(graph, old) == expected
        with graph.driver.session() as session:
            left = session.run(
                "MATCH (n) WHERE (n:VersionLabel OR n:DatasetVersion) AND n.key STARTS WITH $twin"
                " RETURN count(n) AS n", twin=old.twin.key,
            ).single(strict=True)["n"]
        assert left == 0
    finally:
        fresh.delete(graph.driver)
        old.delete(graph.driver)


def test_a_moved_label_gives_way_to_a_more_recent_labelling_of_the_same_name(
    graph: Graph,
) -> None:
    """The twin and the located table both have a ``prod``: the later labelling wins."""
    table = VersionedTable(uuid.uuid4().hex[:8])
    writer = GraphWriter(graph.driver)
    try:
        for event in version_events(table, table.twin):
            writer.write(event)
        later = version_events(table, table.located)[2]  # the first load, under today's identity
        writer.write(dataclasses.replace(
            later, run_id=table.run_id("rewrite"),
            outputs=(dataclasses.replace(later.outputs[0], version=VersionInfo(5, VERSIONS_DAY)),),
        ))
        graph.cli("label", f"{table.located.key}@5", "prod")  # labelled first ...
        graph.cli("label", f"{table.twin.key}@1", "prod")  # ... then the old identity's v1

        graph.migrate()

        history = json.loads(graph.cli("history", table.located.key, "--format", "json"))
        assert {v["version"]: [x["name"] for x in v["labels"]] for v in history["versions"]} == {
            "5": [], "1": ["prod", "v1.1"], "0": [],
        }
    finally:
        table.delete(graph.driver)
