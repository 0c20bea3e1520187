"""What the CLI prints and writes, against the real Neo4j: standard input for ``load``, several
``--column`` as one start, folders created for ``--html`` and ``--out``, the ``tags list`` header,
and progress only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import neo4j
import pytest
from graph_inspect import delete_scope

from spark_lineage.cli import main
from spark_lineage.compliance.export import ExportRequest, ExportScope, run_export
from spark_lineage.compliance.policy import parse_policy
from spark_lineage.compliance.tagging import apply_policy
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

REPO = Path(__file__).resolve().parents[2]
COLUMNS = ("a", "b", "c")


def copy_event(root: str, namespace: str, suffix: str = "") -> LineageEvent:
    """A run copying columns a, b, c of ``<root>/src<suffix>`` into ``<root>/dst<suffix>``."""
    source = DatasetRef("file", f"{root}/src{suffix}")
    target = DatasetRef("file", f"{root}/dst{suffix}")
    identity = Transformation(TransformationSubtype.IDENTITY)
    edges = tuple(ColumnEdge(ColumnRef(source, c), ColumnRef(target, c), identity) for c in COLUMNS)
    schema = tuple(SchemaField(c, "string") for c in COLUMNS)
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
        outputs=(OutputDataset(target, schema, edges=edges),),
    )


@pytest.fixture()
def cli_env(neo4j_uri: str, neo4j_auth: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_USER", neo4j_auth[0])
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", neo4j_auth[1])
    monkeypatch.delenv("SPARK_LINEAGE_CONFIG", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return neo4j_uri


@pytest.fixture()
def scope(driver: neo4j.Driver) -> Iterator[tuple[str, str]]:
    """A fresh (dataset root, job namespace), removed from the graph afterwards."""
    token = uuid.uuid4().hex[:10]
    root, namespace = f"/cli-output-{token}", f"cli-output-{token}"
    yield root, namespace
    delete_scope(driver, f"file::{root}", f"{namespace}::")


@pytest.fixture()
def copy_job(driver: neo4j.Driver, scope: tuple[str, str]) -> str:
    GraphWriter(driver).write(copy_event(*scope))
    return scope[0]


def environment(neo4j_uri: str, neo4j_auth: tuple[str, str], home: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONPATH": str(REPO),
        "SPARK_LINEAGE_NEO4J_URI": neo4j_uri,
        "SPARK_LINEAGE_NEO4J_USER": neo4j_auth[0],
        "SPARK_LINEAGE_NEO4J_PASSWORD": neo4j_auth[1],
    }


def events_file(path: Path, scope: tuple[str, str], count: int) -> Path:
    lines = [to_openlineage_json(copy_event(*scope, suffix=str(n))) for n in range(count)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_load_dash_reads_the_events_from_standard_input(
    scope: tuple[str, str], neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    events = events_file(tmp_path / "events.jsonl", scope, 3)
    env = environment(neo4j_uri, neo4j_auth, tmp_path)

    loaded = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", "load", "-"],
        input=events.read_bytes(),
        env=env,
        capture_output=True,
        timeout=120,
    )

    assert (loaded.returncode, loaded.stderr) == (0, b"")
    assert loaded.stdout.decode().startswith("load: 3 event(s) loaded (0 already present, ")
    impact = ["impact", f"{scope[0]}/src2", "--column", "a", "--format", "json"]
    found = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", *impact],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert [r["column_key"] for r in json.loads(found.stdout)["rows"]] == [
        f"file::{scope[0]}/dst2::a"
    ]


def test_a_bad_line_on_standard_input_is_named_by_its_line(
    scope: tuple[str, str], neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    good = to_openlineage_json(copy_event(*scope))
    loaded = subprocess.run(
        [sys.executable, "-m", "spark_lineage.cli", "load", "-"],
        input=f"{good}\n{{not json\n".encode(),
        env=environment(neo4j_uri, neo4j_auth, tmp_path),
        capture_output=True,
        timeout=120,
    )

    assert loaded.returncode == 1
    assert loaded.stderr.decode().startswith("<stdin>:2: invalid JSON")


def test_several_columns_are_one_start(
    copy_job: str, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["impact", "--uri", cli_env, f"{copy_job}/src", "--column", "a", "--column", "c"]

    assert main([*argv, "--format", "json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["target"]["column"] == "a,c"
    assert sorted(r["column"] for r in document["rows"]) == ["a", "c"]


def test_impact_answers_without_loading_the_drivers_data_frame_libraries(
    copy_job: str, neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    """The CLI keeps numpy, pandas and pyarrow out of the driver's import: half a second of
    every command's start (BENCHMARKS.md, CLI start-up)."""
    script = (
        "import sys\n"
        "from spark_lineage.cli import main\n"
        f"status = main(['impact', {copy_job + '/src'!r}, '--column', 'a', '--format', 'json'])\n"
        "loaded = sorted(m for m in ('numpy', 'pandas', 'pyarrow') if m in sys.modules)\n"
        "print(status, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=environment(
        neo4j_uri, neo4j_auth, tmp_path), capture_output=True, text=True, timeout=120)

    assert done.stderr.strip().splitlines()[-1] == "0 []", done.stderr
    assert [r["column"] for r in json.loads(done.stdout)["rows"]] == ["a"]


def test_graph_html_creates_missing_folders_and_pictures_every_column(
    copy_job: str, cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "pictures" / "2026" / "lineage.html"
    argv = ["graph", "--uri", cli_env, f"{copy_job}/src", "--column", "a", "--column", "b"]

    assert main([*argv, "--html", str(page)]) == 0

    assert page.is_file()
    assert capsys.readouterr().out == (
        f"graph: wrote {page} (2 dataset(s), 4 column(s), 2 edge(s))\n"
    )


def test_export_out_creates_missing_folders(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exports" / "monthly" / "2002-03"
    window = ["--since", "2002-03-01", "--until", "2002-03-02", "-t", f"none{uuid.uuid4().hex}"]

    assert main(["export", "--uri", cli_env, "--out", str(out), *window]) == 0

    assert sorted(p.name for p in out.iterdir()) == [".export.lock", next(out.glob("tag-*")).name]


def test_tags_list_has_a_header_line_and_fits_the_terminal(
    copy_job: str, cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = f"out{uuid.uuid4().hex[:8]}"
    assert main(["tag", "--uri", cli_env, f"{copy_job}/src", "-c", "a", "-t", tag]) == 0
    assert main(["tags", "propagate", "--uri", cli_env, "-t", tag]) == 0
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "60")

    assert main(["tags", "list", "--uri", cli_env, "-t", tag]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TAG", "CARRY", "COLUMN", "ORIGIN", "DEPTH", "VIA"]
    assert [line.split()[:2] for line in lines[2:-1]] == [[tag, "source"], [tag, "clear"]]
    assert max(len(line) for line in lines) <= 60
    assert lines[-1] == "2 row(s)"


def test_a_long_load_shows_progress_on_a_terminal_and_nothing_in_a_pipe(
    scope: tuple[str, str], neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    events = events_file(tmp_path / "events.jsonl", scope, 300)
    command = [sys.executable, "-m", "spark_lineage.cli", "load", str(events)]
    env = environment(neo4j_uri, neo4j_auth, tmp_path)

    piped = subprocess.run(command, env=env, capture_output=True, timeout=300)
    assert (piped.returncode, piped.stderr) == (0, b"")

    controller, terminal = pty.openpty()
    try:
        on_terminal = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=terminal, timeout=300
        )
        os.close(terminal)
        terminal = -1
        shown = _read_all(controller)
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)

    assert on_terminal.returncode == 0
    assert shown.startswith("\rload: ") and shown.endswith("\r\n")  # the terminal adds \r
    final = shown.removesuffix("\r\n").rsplit("\r", 1)[-1]
    assert re.fullmatch(r"load: 300 line\(s\), [\d,]+/s, 100%, about 0s left *", final), final


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the writing side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_export_reports_every_step_up_to_the_whole(driver: neo4j.Driver, tmp_path: Path) -> None:
    heard: list[tuple[int, float | None]] = []
    scope = ExportScope((f"none{uuid.uuid4().hex[:8]}",))
    request = ExportRequest(tmp_path / "out", scope, 1_015_000_000_000, 1_014_000_000_000)

    run_export(driver, request, progress=lambda n, f: heard.append((n, f)))

    # propagation, collection, then 7 files: 2 tables x csv/json/parquet + activity openlineage
    assert [n for n, _ in heard] == list(range(1, 10))
    assert heard[-1] == (9, 1.0)


def test_tags_apply_reports_the_tags_written(
    driver: neo4j.Driver, copy_job: str, tmp_path: Path
) -> None:
    heard: list[tuple[int, float | None]] = []
    name = f"progress-{uuid.uuid4().hex[:8]}"
    policy = parse_policy(
        {
            "name": name,
            "rule": [{"name": "r", "datasets": [f"{copy_job}/*"], "columns": ["*"], "tags": ["p"]}],
        }
    )
    try:
        apply_policy(driver, policy, progress=lambda n, f: heard.append((n, f)))
    finally:
        apply_policy(driver, parse_policy({"name": name, "rule": []}))  # its tags removed again

    assert heard == [(6, 1.0)]  # src and dst, three columns each, one batch


def test_a_large_html_picture_is_announced_with_how_to_narrow_it(
    copy_job: str,
    cli_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("spark_lineage.cli.lineage.LARGE_PICTURE", 1)  # this one has 2
    argv = ["graph", "--uri", cli_env, f"{copy_job}/src"]

    assert main([*argv, "--html", str(tmp_path / "g.html")]) == 0
    assert capsys.readouterr().err == (
        "warning: the picture has 2 datasets and may be slow to open in a browser; "
        "narrow it with --depth\n"
    )
    assert main([*argv, "--format", "dot"]) == 0  # text for Graphviz: no warning
    assert capsys.readouterr().err == ""
