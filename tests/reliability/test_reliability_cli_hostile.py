"""Every ``spark-lineage`` command, run as a user runs it, against the real Neo4j, given hostile
input.

Names with quotes, backticks, backslashes, unicode and Cypher metacharacters resolve exactly or
fail cleanly; bad depths are usage errors (exit 2); bad files, a missing server and a wrong
password are failures (exit 1, or 2 for bad settings). Each case states its exit code and its
stderr: at most one line, never a traceback, never the password. And each case leaves the graph
exactly as it found it (node and relationship counts and a hash of every property), except
``tag``, which makes exactly the change it was asked for.

The graph is seeded once for the module, through ``spark-lineage load``; the failing-login cases
use a user of their own, so that the server's lock-out after wrong passwords touches nobody else.
A CLI start costs about a second of CPU here (the Neo4j driver imports pandas when it is
installed), so each code path is run once, not once per command that shares it.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from reliability_helpers import cli_env, run_cli

from spark_lineage.events import to_openlineage_json
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
from spark_lineage.sinks.spool import Spool

pytestmark = [pytest.mark.reliability, pytest.mark.neo4j, pytest.mark.slow]

TOKEN = uuid.uuid4().hex[:8]
ROOT = f"/hostile-cli-{TOKEN}"
NAMESPACE = f"hostile-cli-{TOKEN}"
INJECTION = "}) DETACH DELETE n //"
#: Paths as the agent stores them (no trailing slash), with every kind of trouble inside.
SRC = f"{ROOT}/src it's \"q\" `bt` $param \\ {INJECTION} é 中文 🦄"
DST = f"{ROOT}/dst ' \" ` $param \\\\ {INJECTION} é 中文 🦄"
SCRIPT = "</script><script>alert(1)</script> &amp;"
COLUMNS = ("it's", 'say "hi"', "back`tick", INJECTION, "$param", "back\\slash", "é 中文 🦄",
           "x.y::z", SCRIPT)
LOGIN_USER = f"hostile_cli_{TOKEN}"
LOGIN_PASSWORD = f"right-{TOKEN}"
WRONG_PASSWORD = f"wr0ng-{TOKEN}"
TAG = f"hostile-{TOKEN}"  # a tag no other test uses: tagging always creates its node


def seed_event() -> LineageEvent:
    """One run copying every hostile column of SRC (version 3) into DST (version 4)."""
    source, target = DatasetRef("file", SRC, "delta"), DatasetRef("file", DST, "delta")
    schema = tuple(SchemaField(name, "string") for name in COLUMNS)
    edges = tuple(
        ColumnEdge(ColumnRef(source, name), ColumnRef(target, name),
                   Transformation(TransformationSubtype.IDENTITY))
        for name in COLUMNS
    )
    return LineageEvent(
        run_id=str(uuid.uuid4()),
        event_type=EventType.COMPLETE,
        job_namespace=NAMESPACE,
        job_name="copy",
        event_time_ms=1_700_000_000_000,
        started_at_ms=1_699_999_999_000,
        ended_at_ms=1_700_000_000_000,
        app=AppContext("app-hostile-cli", "hostile"),
        inputs=(InputDataset(source, schema, version=VersionInfo(3, status="exact")),),
        outputs=(OutputDataset(target, schema, edges=edges, version=VersionInfo(
            4, timestamp_ms=1_700_000_000_000, operation="WRITE", status="exact")),),
    )


@dataclass(frozen=True)
class GraphState:
    nodes: int
    relationships: int
    digest: str


def graph_state(driver: neo4j.Driver) -> GraphState:
    """Counts and a hash of every node's labels and properties and every relationship's."""
    nodes = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props").records
    relationships = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, properties(r) AS props, "
        "elementId(b) AS b").records
    rows = sorted(json.dumps(dict(record), sort_keys=True, default=str)
                  for record in [*nodes, *relationships])
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return GraphState(len(nodes), len(relationships), digest)


@dataclass(frozen=True)
class World:
    env: dict[str, str]
    files: Path
    driver: neo4j.Driver
    baseline: GraphState
    seed: Path


@pytest.fixture(scope="module")
def world(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    files = tmp_path_factory.mktemp("hostile-cli")
    env = cli_env(neo4j_uri, neo4j_auth, files)
    seed = files / "seed.jsonl"
    seed.write_text(to_openlineage_json(seed_event()) + "\n", encoding="utf-8")
    loaded = run_cli(["load", str(seed)], env)
    assert loaded.returncode == 0 and "1 event(s) loaded" in loaded.stdout, loaded
    settled = run_cli(["tags", "propagate"], env)  # the baseline: propagation up to date
    assert settled.returncode == 0, settled
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        driver.execute_query(
            "CREATE OR REPLACE USER $user SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
            user=LOGIN_USER, password=LOGIN_PASSWORD, database_="system")
        try:
            yield World(env, files, driver, graph_state(driver), seed)
        finally:
            driver.execute_query("DROP USER $user IF EXISTS", user=LOGIN_USER,
                                 database_="system")
            delete_scope(driver, f"file::{ROOT}/", f"{NAMESPACE}::")


def cli(world: World, args: list[str], **env: str) -> tuple[int, str, str]:
    done = run_cli(args, {**world.env, **env}, timeout=120)
    return done.returncode, done.stdout, done.stderr


def one_line(err: str) -> str:
    """stderr holds exactly one line, without a traceback; returns it."""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err, err
    return err.rstrip("\n")


def strings(text: str) -> set[str]:
    """Every string value in a JSON document."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(text))
    return found


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- hostile names resolve exactly ---------------------------------------------------------------


def test_impact_of_a_hostile_dataset_names_every_hostile_column_it_feeds(world: World) -> None:
    code, out, err = cli(world, ["impact", SRC, "--format", "json"])

    assert (code, err) == (0, "")
    assert {DST, *COLUMNS} <= strings(out)
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize("column", [INJECTION, "é 中文 🦄"])
def test_impact_of_a_hostile_column_names_exactly_its_copy(world: World, column: str) -> None:
    code, out, err = cli(world, ["impact", SRC, "--column", column, "--format", "json"])

    assert (code, err) == (0, "")
    assert {DST, column} <= strings(out)
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize("column", ["back\\slash"])
def test_upstream_and_path_of_a_hostile_column_lead_back_to_its_source(
    world: World, column: str
) -> None:
    upstream = cli(world, ["upstream", f"file:{DST}", "--column", column, "--format", "json"])
    path = cli(world, ["path", SRC, DST, "--source-column", column, "--target-column", column,
                       "--format", "json"])

    assert (upstream[0], upstream[2]) == (0, "")
    assert {SRC, column} <= strings(upstream[1])
    assert (path[0], path[2]) == (0, "")
    assert {f"file::{SRC}::{column}", f"file::{DST}::{column}"} <= strings(path[1])
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graph_pictures_of_hostile_names_are_drawn(world: World, fmt: str) -> None:
    code, out, err = cli(world, ["graph", DST, "--column", 'say "hi"', "--format", fmt])

    assert (code, err) == (0, "")
    assert "中文 🦄" in out
    assert world.baseline == graph_state(world.driver)


def test_graph_html_of_hostile_names_is_written(world: World) -> None:
    page = world.files / "page.html"
    code, _, err = cli(world, ["graph", DST, "--html", str(page)])

    assert (code, err) == (0, "")
    html = page.read_text(encoding="utf-8")
    assert "中文" in html
    assert html.count("<script") == 1 and "alert(1)" in html, "names are text, never markup"
    assert world.baseline == graph_state(world.driver)


def test_reproduce_prints_a_read_that_loads_exactly_the_hostile_source(world: World) -> None:
    code, out, err = cli(world, ["reproduce", f"{DST}@4", "--format", "json"])

    assert (code, err) == (0, "")
    (read,) = {text for text in strings(out) if text.startswith("spark.read")}
    call = ast.parse(read, mode="eval").body
    assert isinstance(call, ast.Call)
    assert [ast.literal_eval(arg) for arg in call.args] == [SRC]
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize(
    "args, says",
    [
        (["tags", "list", "--dataset", SRC, "--format", "json"], "[]"),
        (["tags", "propagate"], "0 written, 0 removed"),
        (["doctor"], "[ok] connection"),
        (["replay"], "delivered 0 event(s)"),
        (["load", "SEED"], "(1 already present"),
    ],
    ids=["tags-list", "tags-propagate", "doctor", "replay", "load-again"],
)
def test_reading_commands_succeed_and_change_nothing(
    world: World, args: list[str], says: str
) -> None:
    args = [str(world.seed) if arg == "SEED" else arg for arg in args]
    code, out, err = cli(world, args)

    assert (code, err) == (0, ""), err
    assert says in out
    assert world.baseline == graph_state(world.driver)


def test_export_of_a_hostile_dataset_verifies_and_changes_nothing(world: World) -> None:
    out_dir = world.files / "export"
    code, out, err = cli(world, ["export", "--dataset", SRC, "--out", str(out_dir),
                                 "--since", "2000-01-01"])
    assert (code, err) == (0, ""), err
    (manifest,) = re.findall(r"^export: manifest (.+) \(verified\)$", out, re.MULTILINE)
    verify = cli(world, ["export", "verify", manifest])

    assert (verify[0], verify[2]) == (0, ""), verify
    assert world.baseline == graph_state(world.driver)


def _tagged(driver: neo4j.Driver) -> list[str]:
    records = driver.execute_query(
        "MATCH (c:Column)-[:TAGGED]->(t:Tag {name: $tag}) RETURN c.key AS column ORDER BY column",
        tag=TAG).records
    return [r["column"] for r in records]


def test_tag_of_hostile_columns_adds_exactly_those_tags_and_removing_them_takes_them_away(
    world: World,
) -> None:
    columns = ["it's", INJECTION]
    tag = ["tag", SRC, *[arg for name in columns for arg in ("-c", name)], "-t", TAG]

    added = cli(world, tag)
    tagged, after_tag = _tagged(world.driver), graph_state(world.driver)
    removed = cli(world, [*tag, "--remove"])
    untagged, after_remove = _tagged(world.driver), graph_state(world.driver)
    world.driver.execute_query("MATCH (t:Tag {name: $tag}) DELETE t", tag=TAG)  # kept by design

    assert (added[0], added[2]) == (0, ""), added
    assert "2 new" in added[1]
    assert tagged == sorted(f"file::{SRC}::{name}" for name in columns)
    assert (after_tag.nodes, after_tag.relationships) == (
        world.baseline.nodes + 1, world.baseline.relationships + 2)
    assert (removed[0], removed[2]) == (0, ""), removed
    assert untagged == []
    assert (after_remove.nodes, after_remove.relationships) == (
        world.baseline.nodes + 1, world.baseline.relationships)
    assert world.baseline == graph_state(world.driver), "the tag's node was all that was left"


# --- names that match nothing fail cleanly -------------------------------------------------------

UNKNOWN = [
    f"{ROOT}/src it's",  # a prefix of a real name is not that name
    "x' }) DETACH DELETE n //",
    'x" }) MATCH (n) DETACH DELETE n //',
    "$param",
    "a\\b",
    "`bt`",
    "é 中文 🦄",
    "*",
]


@pytest.mark.parametrize("name", UNKNOWN[:2])
def test_impact_of_a_name_that_matches_nothing_says_so_in_one_line(
    world: World, name: str
) -> None:
    code, _, err = cli(world, ["impact", name, "--column", "a"])

    assert code == 1
    assert re.match(r"spark-lineage impact: no dataset", one_line(err)), err
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize(
    "args",
    [
        ["upstream", UNKNOWN[1]],
        ["path", UNKNOWN[2], DST],
        ["graph", UNKNOWN[3], "--format", "dot"],
        ["reproduce", f"{UNKNOWN[1]}@3"],
        ["tag", UNKNOWN[2], "-c", "a", "-t", TAG],
        ["tags", "list", "--dataset", UNKNOWN[4]],
        ["export", "--dataset", UNKNOWN[5], "--out", "OUT"],
    ],
    ids=lambda args: args[0] if args[0] != "tags" else "tags-list",
)
def test_every_command_given_a_name_that_matches_nothing_says_so_in_one_line(
    world: World, args: list[str]
) -> None:
    args = [str(world.files / "unknown-export") if arg == "OUT" else arg for arg in args]
    code, _, err = cli(world, args)

    assert code == 1
    assert re.match(r"spark-lineage \w+( \w+)?: no dataset", one_line(err)), err
    assert world.baseline == graph_state(world.driver)


@pytest.mark.parametrize("command", ["impact", "tag"])
def test_a_hostile_column_the_dataset_lacks_is_named_with_the_columns_it_has(
    world: World, command: str
) -> None:
    extra = ["-t", TAG] if command == "tag" else []
    code, _, err = cli(world, [command, SRC, "--column" if command == "impact" else "-c",
                               "nope' }) //", *extra])

    assert code == 1
    assert "has no column \"nope' }) //\"" in one_line(err)
    assert world.baseline == graph_state(world.driver)


# --- bad depths are usage errors -----------------------------------------------------------------

DEPTH_COMMANDS = {
    "impact": ["impact", SRC],
    "upstream": ["upstream", DST],
    "path": ["path", SRC, DST],
    "graph": ["graph", DST],
    "reproduce": ["reproduce", DST],
}


BAD_DEPTHS = [("impact", "0"), ("upstream", "-1"), ("path", "999"), ("graph", "abc"),
              ("reproduce", "0")]


@pytest.mark.parametrize("command, depth", BAD_DEPTHS)
def test_a_bad_depth_is_a_one_line_usage_error(world: World, command: str, depth: str) -> None:
    code, out, err = cli(world, [*DEPTH_COMMANDS[command], f"--depth={depth}"])

    assert (code, out) == (2, "")
    assert re.fullmatch(rf"spark-lineage {command}: error: argument --depth: .+ \(see "
                        rf"spark-lineage {command} --help\)", one_line(err)), err
    assert world.baseline == graph_state(world.driver)


# --- bad files ----------------------------------------------------------------------------------


def _bad_file(world: World, kind: str) -> Path:
    base = world.files / "bad"
    base.mkdir(exist_ok=True)
    path = base / kind
    if kind == "a-directory":
        path.mkdir(exist_ok=True)
    elif kind == "not-utf8":
        path.write_bytes(b"\xff\xfe\x00 not text\n")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_text(world.seed.read_text(encoding="utf-8")[:300], encoding="utf-8")
    return path  # "missing": never created


FILE_CASES = [
    # (command, file kind, exit code, stderr pattern; FILE stands for the file's path)
    ("load", "missing", 1, r"spark-lineage load: FILE does not exist or is not a file"),
    ("load", "not-utf8", 1, r"FILE:1: .+"),
    ("load", "empty", 0, None),
    ("load", "truncated", 1, r"FILE:1: invalid JSON: .+"),
    ("tags apply", "missing", 1, r"spark-lineage tags apply: policy file FILE does not exist"),
    ("tags apply", "a-directory", 1, r"spark-lineage tags apply: cannot read policy file FILE: .+"),
    ("tags apply", "not-utf8", 1,
     r"spark-lineage tags apply: policy file FILE is not UTF-8 text .+"),
    ("tags apply", "empty", 0, None),
    ("tags apply", "truncated", 1, r"spark-lineage tags apply: cannot read policy file FILE: .+"),
    ("export verify", "missing", 1, r"spark-lineage export verify: manifest FILE does not exist"),
    ("export verify", "a-directory", 1,
     r"spark-lineage export verify: manifest FILE/manifest\.json does not exist"),
    ("export verify", "not-utf8", 1,
     r"spark-lineage export verify: manifest FILE is not UTF-8 text .+"),
    ("export verify", "truncated", 1,
     r"spark-lineage export verify: manifest FILE is not JSON: .+"),
    ("--password-file", "missing", 2,
     r"spark-lineage: configuration error: cannot read --password-file FILE: .+"),
    ("--password-file", "a-directory", 2,
     r"spark-lineage: configuration error: cannot read --password-file FILE: .+"),
    ("--password-file", "not-utf8", 2,
     r"spark-lineage: configuration error: --password-file FILE is not UTF-8 text .+"),
    ("--password-file", "empty", 2,
     r"spark-lineage: configuration error: --password-file FILE is empty"),
    ("--config", "not-utf8", 2,
     r"spark-lineage: configuration error: config file FILE is not UTF-8 text .+"),
    ("--config", "truncated", 2,
     r"spark-lineage: configuration error: cannot read config file FILE: .+"),
]


def _file_command(command: str, path: Path) -> list[str]:
    if command == "tags apply":
        return ["tags", "apply", str(path), "--no-prune", "--no-propagate"]
    if command == "export verify":
        return ["export", "verify", str(path)]
    if command.startswith("--"):
        return ["impact", SRC, "--column", "it's", command, str(path)]
    return [command, str(path)]


@pytest.mark.parametrize(
    "command, kind, code, pattern",
    FILE_CASES,
    ids=[f"{c.replace(' ', '-').lstrip('-')}-{k}" for c, k, _, _ in FILE_CASES],
)
def test_a_bad_file_is_named_in_one_line(
    world: World, command: str, kind: str, code: int, pattern: str | None
) -> None:
    path = _bad_file(world, kind)
    returned, _, err = cli(world, _file_command(command, path))

    assert returned == code, err
    if pattern is None:
        assert err == ""
    else:
        regex = pattern.replace("FILE", re.escape(str(path)))
        assert re.fullmatch(regex, one_line(err)), err
    assert world.baseline == graph_state(world.driver)


# --- no server, wrong password ----------------------------------------------------------------

#: One command per module that opens its own connection (path and graph share impact's, the
#: tags commands share tag's): the cost of a CLI start (~1 s of CPU) keeps this list short.
SERVER_COMMANDS = {
    "impact": ["impact", SRC, "--column", "it's"],
    "reproduce": ["reproduce", DST],
    "tag": ["tag", SRC, "-c", "it's", "-t", TAG],
    "tags-propagate": ["tags", "propagate"],
    "export": ["export", "--out", "OUT", "--since", "2000-01-01"],
    "load": ["load", "SEED"],
    "replay": ["replay", "--spool-dir", "SPOOL"],
}


def _server_command(world: World, name: str, tmp_path: Path) -> list[str]:
    if name == "replay":  # one event waits in the spool, so replay must reach the server
        Spool(tmp_path / "spool").append(seed_event())
    values = {"OUT": str(tmp_path / "export"), "SEED": str(world.seed),
              "SPOOL": str(tmp_path / "spool")}
    return [values.get(arg, arg) for arg in SERVER_COMMANDS[name]]


def _prefix(name: str) -> str:
    """How the command's failure line starts: the command as typed (replay says where it
    stopped)."""
    return "replay stopped: " if name == "replay" else f"spark-lineage {name.replace('-', ' ')}: "


@pytest.mark.parametrize("name", list(SERVER_COMMANDS))
def test_a_missing_server_is_one_line_exit_1(world: World, name: str, tmp_path: Path) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    code, _, err = cli(world, _server_command(world, name, tmp_path),
                       SPARK_LINEAGE_NEO4J_URI=uri)

    assert code == 1
    line = one_line(err)
    assert re.fullmatch(re.escape(f"{_prefix(name)}connection refused by {uri}: ") + ".+", line)
    if name == "replay":
        assert Spool(tmp_path / "spool").status().pending_entries == 1, "the spool keeps it"
    assert world.baseline == graph_state(world.driver)


def test_doctor_without_a_server_fails_the_connection_check(world: World) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    code, out, err = cli(world, ["doctor"], SPARK_LINEAGE_NEO4J_URI=uri)

    assert (code, err) == (1, "")
    assert f"[FAIL] connection: connection refused by {uri}" in out


LOGIN_REFUSED = (
    rf"(authentication failed for user '{LOGIN_USER}' at .+: wrong user or password .+"
    rf"|Neo4j at .+ refuses logins for user '{LOGIN_USER}' for now, after too many wrong "
    r"passwords: .+)"
)


@pytest.mark.parametrize("name", list(SERVER_COMMANDS))
def test_a_wrong_password_is_one_line_exit_1_and_never_echoed(
    world: World, name: str, tmp_path: Path
) -> None:
    code, out, err = cli(world, _server_command(world, name, tmp_path),
                         SPARK_LINEAGE_NEO4J_USER=LOGIN_USER,
                         SPARK_LINEAGE_NEO4J_PASSWORD=WRONG_PASSWORD)

    assert code == 1
    line = one_line(err)
    assert re.fullmatch(re.escape(_prefix(name)) + LOGIN_REFUSED, line), line
    assert WRONG_PASSWORD not in out + err
    assert world.baseline == graph_state(world.driver)


def test_doctor_with_a_wrong_password_fails_the_connection_check_without_echoing_it(
    world: World,
) -> None:
    code, out, err = cli(world, ["doctor"], SPARK_LINEAGE_NEO4J_USER=LOGIN_USER,
                         SPARK_LINEAGE_NEO4J_PASSWORD=WRONG_PASSWORD)

    assert (code, err) == (1, "")
    assert re.search(r"\[FAIL\] connection: " + LOGIN_REFUSED, out), out
    assert WRONG_PASSWORD not in out
