"""Names people type resolve against the real Neo4j, and ``impact``/``upstream`` page their rows.

The graph of each test: a raw file dataset feeds the catalog table ``crm_<t>.customers_<t>``
(stored under a warehouse path), two catalog tables share the bare name ``orders_<t>``, an
in-memory source (as ``reproduce`` prints it: ``memory:<app>/range/<hash>``) feeds one of them,
and one source column feeds the 30 columns of a wide table (paging).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
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
from spark_lineage.names import UnknownName, location, resolve_dataset, resolve_name

pytestmark = pytest.mark.neo4j

WIDE = 30


@dataclass(frozen=True)
class Names:
    token: str
    root: str
    raw: DatasetRef
    customers: DatasetRef
    orders: DatasetRef
    old_orders: DatasetRef
    memory: DatasetRef
    wide: DatasetRef


def copy(
    namespace: str, name: str, source: DatasetRef, target: DatasetRef, columns: list[str]
) -> LineageEvent:
    """A run copying ``source``'s first column (or the same-named columns) into ``target``."""
    source_columns = sorted({c if len(columns) < WIDE else "a" for c in columns})
    edges = tuple(
        ColumnEdge(
            ColumnRef(source, c if len(columns) < WIDE else "a"),
            ColumnRef(target, c),
            Transformation(TransformationSubtype.IDENTITY),
        )
        for c in columns
    )
    return LineageEvent(
        run_id=str(uuid.uuid4()),
        event_type=EventType.COMPLETE,
        job_namespace=namespace,
        job_name=name,
        event_time_ms=1_000_000,
        started_at_ms=999_000,
        ended_at_ms=1_000_000,
        app=AppContext("app-names", name),
        inputs=(InputDataset(source, tuple(SchemaField(c, "string") for c in source_columns)),),
        outputs=(
            OutputDataset(target, tuple(SchemaField(c, "string") for c in columns), edges=edges),
        ),
    )


@pytest.fixture()
def cli(
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[str]:
    """The test server's credentials in the environment, no config file: the ``--uri`` flag."""
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    return ["--uri", neo4j_uri]


@pytest.fixture()
def names(driver: neo4j.Driver, tmp_path: Path) -> Iterator[Names]:
    t = uuid.uuid4().hex[:8]
    root, namespace = str(tmp_path / f"names-{t}"), f"names-{t}"
    found = Names(
        token=t,
        root=root,
        raw=DatasetRef("file", f"{root}/lake/raw/events"),
        customers=DatasetRef("file", f"{root}/wh/crm.db/customers", table=f"crm_{t}.customers_{t}"),
        orders=DatasetRef("file", f"{root}/wh/shop.db/orders", table=f"shop_{t}.orders_{t}"),
        old_orders=DatasetRef("file", f"{root}/wh/old.db/orders", table=f"old_{t}.orders_{t}"),
        memory=DatasetRef("memory", f"app_{t}/range/1a2b3c4d5e6f"),
        wide=DatasetRef("file", f"{root}/lake/wide"),
    )
    writer = GraphWriter(driver)
    writer.write(copy(namespace, "customers", found.raw, found.customers, ["email", "id"]))
    writer.write(copy(namespace, "orders", found.memory, found.orders, ["id"]))
    writer.write(copy(namespace, "old_orders", found.raw, found.old_orders, ["id"]))
    wide = [f"c{i:02}" for i in range(WIDE)]
    writer.write(copy(namespace, "wide", found.raw, found.wide, wide))
    yield found
    delete_scope(driver, f"file::{root}", f"{namespace}::")
    delete_scope(driver, f"memory::app_{t}/", f"{namespace}::")


def key_of(driver: neo4j.Driver, text: str) -> str:
    with driver.session() as session:
        return resolve_dataset(session, text)


def test_a_table_name_resolves_in_any_case(driver: neo4j.Driver, names: Names) -> None:
    assert key_of(driver, names.customers.table or "") == names.customers.key
    assert key_of(driver, (names.customers.table or "").upper()) == names.customers.key


def test_a_bare_table_name_resolves_when_it_is_unique(driver: neo4j.Driver, names: Names) -> None:
    with driver.session() as session:
        found = resolve_name(session, f"customers_{names.token}.email")
    assert (found.dataset_key, found.column) == (names.customers.key, "email")


def test_a_bare_table_name_of_several_tables_names_them_all(
    driver: neo4j.Driver, names: Names
) -> None:
    with pytest.raises(UnknownName) as raised:
        key_of(driver, f"orders_{names.token}")
    assert str(raised.value) == (
        f"'orders_{names.token}' names several datasets: "
        f"{names.old_orders.table}, {names.orders.table}"
    )


def test_a_relative_path_with_dot_dot_resolves_against_the_current_directory(
    driver: neo4j.Driver, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = Path(names.root) / "lake" / "raw"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    assert key_of(driver, "./events") == names.raw.key
    assert key_of(driver, "../wide") == names.wide.key
    with driver.session() as session:
        found = resolve_name(session, "../../wh/crm.db/customers.email")
    assert (found.dataset_key, found.column) == (names.customers.key, "email")


def test_the_memory_spelling_reproduce_prints_and_the_name_tables_print_round_trip(
    driver: neo4j.Driver, names: Names
) -> None:
    printed = location(names.memory.namespace, names.memory.name)
    assert printed == f"memory:app_{names.token}/range/1a2b3c4d5e6f"
    assert key_of(driver, printed) == names.memory.key
    assert key_of(driver, names.memory.name) == names.memory.key
    assert key_of(driver, f"memory:{names.memory.name}") == names.memory.key


def test_a_name_that_matches_nothing_suggests_the_nearest(
    driver: neo4j.Driver, names: Names
) -> None:
    typo = (names.customers.table or "").replace("customers", "custmers")
    with pytest.raises(UnknownName) as raised:
        key_of(driver, typo)
    assert raised.value.suggestions[0] == names.customers.table
    assert str(raised.value).startswith(f"no dataset in the graph matches {typo!r}; did you mean: ")


def test_a_column_that_matches_nothing_suggests_the_nearest(
    driver: neo4j.Driver, names: Names
) -> None:
    with driver.session() as session, pytest.raises(UnknownName) as raised:
        resolve_name(session, f"{names.customers.table}.emial")
    assert str(raised.value) == (
        f"dataset {names.customers.key} has no column 'emial'; did you mean: email? "
        "(columns: email, id)"
    )


def test_the_cli_prints_one_line_with_the_suggestions(
    driver: neo4j.Driver, names: Names, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", *cli, f"{names.root}/lake/raw/event.email"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"did you mean: {names.raw.name}" in err


def test_impact_json_carries_the_total_and_the_limit(
    names: Names, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", *cli, f"{names.raw.name}.a", "--format", "json", "--limit", "5"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["count"], document["total"], document["limit"]) == (5, WIDE, 5)
    assert document["more"] is True and document["truncated"] is False
    assert [row["column"] for row in document["rows"]] == ["c00", "c01", "c02", "c03", "c04"]


def test_impact_json_has_every_row_by_default(
    names: Names, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", *cli, f"{names.raw.name}.a", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["count"], document["total"], document["limit"], document["more"]) == (
        WIDE,
        WIDE,
        None,
        False,
    )


def test_an_impact_table_says_how_many_rows_it_does_not_show(
    names: Names, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", *cli, f"{names.raw.name}.a", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert f"{WIDE} column(s)" in out.splitlines()[0]
    assert out.rstrip().endswith(f"showing 3 of {WIDE} columns (--limit to change)")


def test_upstream_pages_too(
    names: Names, cli: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["upstream", *cli, names.wide.name, "--format", "json", "--limit", "1"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["count"], document["total"]) == (1, 1)
    assert document["rows"][0]["raw_source"] is True
