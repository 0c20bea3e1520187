"""The command line against the real Neo4j when the input, the files or the user are hostile.

Each test states one promise of spark-lineage: nothing is lost, local file errors name the local
file, and every failure is one line on stderr without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
from spark_lineage.events import to_openlineage_json
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

pytestmark = pytest.mark.neo4j


@pytest.fixture()
def cli_env(neo4j_uri: str, neo4j_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The test server's credentials in the environment, no config file: returns the URI."""
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    return neo4j_uri


REPO = Path(__file__).resolve().parents[2]


def run_cli(args: list[str], env: dict[str, str], **popen: object) -> subprocess.Popen[bytes]:
    """``spark-lineage ARGS`` as a separate process (this checkout's code, the given env)."""
    command = [sys.executable, "-m", "spark_lineage.cli", *args]
    return subprocess.Popen(command, env={**env, "PYTHONPATH": str(REPO)}, **popen)  # type: ignore[call-overload]


def process_env(neo4j_uri: str, neo4j_auth: tuple[str, str], home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
        "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1],
    }


def copy_event(root: str, namespace: str, suffix: str = "") -> LineageEvent:
    """A run of a job copying column ``a`` of ``<root>/src<suffix>`` into ``<root>/dst<suffix>``."""
    source = DatasetRef("file", f"{root}/src{suffix}")
    target = DatasetRef("file", f"{root}/dst{suffix}")
    edge = ColumnEdge(
        ColumnRef(source, "a"),
        ColumnRef(target, "a"),
        Transformation(TransformationSubtype.IDENTITY),
    )
    schema = (SchemaField("a", "string"),)
    return LineageEvent(
        run_id=str(uuid.uuid4()),
        event_type=EventType.COMPLETE,
        job_namespace=namespace,
        job_name=f"copy{suffix}",
        event_time_ms=1_000_000,
        started_at_ms=999_000,
        ended_at_ms=1_000_000,
        app=AppContext("app-copy", "copy"),
        inputs=(InputDataset(source, schema),),
        outputs=(OutputDataset(target, schema, edges=(edge,)),),
    )


@pytest.fixture()
def scope(driver: neo4j.Driver) -> Iterator[tuple[str, str]]:
    """A fresh (dataset root, job namespace), removed from the graph afterwards."""
    token = uuid.uuid4().hex[:10]
    root, namespace = f"/cli-errors-{token}", f"cli-errors-{token}"
    yield root, namespace
    delete_scope(driver, f"file::{root}", f"{namespace}::")


@pytest.fixture()
def copy_job(driver: neo4j.Driver, scope: tuple[str, str]) -> str:
    """One copy job in the graph: returns its dataset root."""
    GraphWriter(driver).write(copy_event(*scope))
    return scope[0]


# --- replay keeps what it cannot read ----------------------------------------------------------


def test_replay_of_entirely_damaged_spool_files_keeps_every_line_in_rejected(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    damaged = {
        "00000000000000000001-host-1.spool": b"00000000 {not json}\n",
        "00000000000000000002-host-2.spool": b"garbage\n\xff\xfe\n",
    }
    for name, content in damaged.items():
        (spool / name).write_bytes(content)

    assert main(["replay", "--uri", cli_env, "--spool-dir", str(spool)]) == 0

    out = capsys.readouterr().out
    assert "delivered 0 event(s)" in out and "3 damaged entr(y/ies) set aside in rejected/" in out
    kept = [
        json.loads(line)
        for path in sorted((spool / "rejected").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [(k["damaged"]["file"], k["error"]) for k in kept] == [
        ("00000000000000000001-host-1.spool", "damaged spool entry: checksum mismatch"),
        ("00000000000000000002-host-2.spool", "damaged spool entry: no checksum frame"),
        ("00000000000000000002-host-2.spool", "damaged spool entry: no checksum frame"),
    ]
    raw = b"".join(k["damaged"]["line"].encode("utf-8", "surrogateescape") for k in kept)
    assert raw == b"".join(damaged.values()), "every damaged byte is kept"


# --- local file errors are not Neo4j failures --------------------------------------------------


def test_impact_into_a_closed_pipe_ends_quietly_like_a_unix_tool(
    copy_job: str, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # `| head -0`: nobody will read
    try:
        process = run_cli(
            ["impact", f"{copy_job}/src", "--column", "a"],
            process_env(neo4j_uri, neo4j_auth, tmp_path),
            stdout=writer,
            stderr=subprocess.PIPE,
        )
    finally:
        os.close(writer)
    _, err = process.communicate(timeout=120)

    assert (process.returncode, err.decode()) == (141, "")


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "bolt://" not in err and "Neo4j" not in err, err
    return err


def test_graph_html_into_a_directory_names_the_directory(
    copy_job: str, cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["graph", "--uri", cli_env, f"{copy_job}/src", "--column", "a", "--html", str(tmp_path)]

    assert main(argv) == 1

    assert _one_line(capsys) == f"spark-lineage graph: {tmp_path}: Is a directory\n"


WINDOW = ["--since", "2002-03-01", "--until", "2002-03-02"]


def test_export_out_that_is_a_file_names_the_file(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.csv"
    out.write_text("not a directory")

    assert main(["export", "--uri", cli_env, "--out", str(out), *WINDOW]) == 1

    assert _one_line(capsys) == f"spark-lineage export: {out}: File exists\n"


@pytest.fixture()
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody can create files in: mode 0555, and immutable for root."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:
        subprocess.run(["chattr", "+i", str(directory)], check=False)
    try:
        probe = directory / "probe"
        with contextlib.suppress(OSError):
            probe.touch()
            probe.unlink()
            pytest.skip("cannot make a directory read-only here")
        yield directory
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=False)
        directory.chmod(0o755)


def test_export_into_a_read_only_directory_names_the_path_and_the_os_error(
    cli_env: str, read_only_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = read_only_dir / "exports"

    assert main(["export", "--uri", cli_env, "--out", str(out), *WINDOW]) == 1

    error = os.strerror(13 if os.geteuid() else 1)  # EACCES, or EPERM for an immutable dir
    assert _one_line(capsys) == f"spark-lineage export: {out}: {error}\n"


# --- interrupted, with a summary instead of a traceback ---------------------------------------


def _runs(driver: neo4j.Driver, namespace: str) -> int:
    with driver.session() as session:
        record = session.run(
            "MATCH (r:Run) WHERE r.job_key STARTS WITH $prefix RETURN count(r) AS n",
            prefix=f"{namespace}::",
        ).single(strict=True)
    return int(record["n"])


def test_ctrl_c_during_load_says_what_was_loaded_and_exits_130(
    driver: neo4j.Driver,
    scope: tuple[str, str],
    neo4j_uri: str,
    neo4j_auth: tuple[str, str],
    tmp_path: Path,
) -> None:
    root, namespace = scope
    events = tmp_path / "events.jsonl"
    lines = (to_openlineage_json(copy_event(root, namespace, f"{i}")) for i in range(5000))
    events.write_text("".join(line + "\n" for line in lines))
    load = run_cli(
        ["load", str(events)],
        process_env(neo4j_uri, neo4j_auth, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _runs(driver, namespace) < 10 and time.monotonic() < deadline and load.poll() is None:
        time.sleep(0.05)
    load.send_signal(signal.SIGINT)
    out, err = load.communicate(timeout=60)

    assert load.returncode == 130, err
    (summary, *more) = err.decode().splitlines()
    assert more == [] and out == b"", err
    prefix, _, rest = summary.partition(" event(s) loaded")
    assert prefix.startswith("spark-lineage load: interrupted after ") and rest, summary
    loaded = int(prefix.rsplit(" ", 1)[1])
    assert 10 <= loaded < 5000
    # Ctrl-C waits for the write in progress, so the summary counts exactly what is in the graph.
    assert _runs(driver, namespace) == loaded


# --- secrets are masked where a message is built -----------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["?password=s3cret-pw", "?region=eu&password=s3cret-pw", "?password=s3cret-pw&password=x"],
)
@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
@pytest.mark.parametrize("command", [["doctor"], ["impact", "/nowhere", "--column", "a"]])
def test_a_password_in_the_uri_query_is_never_echoed(
    command: list[str],
    scheme: str,
    query: str,
    cli_env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri = cli_env.replace("bolt://", f"{scheme}://") + query
    spool = ["--spool-dir", str(tmp_path / "spool")] if command == ["doctor"] else []

    main([*command, "--uri", uri, *spool])  # works or fails, depending on the query

    out = capsys.readouterr()
    assert "s3cret-pw" not in out.out + out.err
    if command == ["doctor"]:  # it always shows the URI it used
        assert "password=***" in out.out + out.err


def test_a_database_the_server_does_not_have_is_named_with_what_to_check(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["impact", "--uri", cli_env, "--database", "nosuchdb", "/x/t.a"]) == 1

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "has no database 'nosuchdb': check --database or SPARK_LINEAGE_NEO4J_DATABASE" in err


def test_too_many_wrong_passwords_say_the_server_refuses_logins_for_now(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", "not-the-password")
    errors = []
    for _ in range(8):  # Neo4j locks the user after a few failures in a row (for seconds)
        assert main(["impact", "--uri", cli_env, "/x/t.a"]) == 1
        errors.append(capsys.readouterr().err)
        if "refuses logins" in errors[-1]:
            break
    time.sleep(6)  # the lock lasts 5 s by default: let the other tests log in again

    assert "authentication failed for user 'neo4j'" in errors[0]
    assert "refuses logins for user 'neo4j' for now, after too many wrong passwords" in errors[-1]
    assert all(e.count("\n") == 1 and "Traceback" not in e for e in errors), errors


def test_a_login_without_a_password_says_the_password_is_not_set_and_where_to_set_it(
    neo4j_uri: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no config file there
    for name in ("CONFIG", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_URI"):
        monkeypatch.delenv(f"SPARK_LINEAGE_{name}", raising=False)

    assert main(["impact", "--uri", neo4j_uri, "/x/t.a"]) == 1

    config = tmp_path / ".config" / "spark-lineage" / "config.toml"
    assert capsys.readouterr().err == (
        f"spark-lineage impact: wrong user or password for neo4j at {neo4j_uri}: the password is "
        f"NOT SET (set SPARK_LINEAGE_NEO4J_PASSWORD, [neo4j] password in {config}, or "
        "--password-file)\n"
    )
