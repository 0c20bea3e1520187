"""The spark-lineage CLI: parsing, exit codes, and messages that never leak the password."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from spark_lineage.cli import build_parser, main


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No user config or environment leaks in; the spool lives in the test's directory."""
    config = tmp_path / "config.toml"
    config.write_text("")
    monkeypatch.setenv("SPARK_LINEAGE_CONFIG", str(config))
    monkeypatch.setenv("SPARK_LINEAGE_SPOOL_DIR", str(tmp_path / "spool"))
    for name in ("URI", "USER", "PASSWORD", "DATABASE"):
        monkeypatch.delenv(f"SPARK_LINEAGE_NEO4J_{name}", raising=False)
    return tmp_path


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "argv",
    [["schema", "init"], ["replay"], ["load", "events.jsonl"], ["doctor"],
     ["prune", "--before", "2024-01-01"], ["migrate", "--dry-run", "--lake-root", "/lake"]],
)
def test_every_command_parses_with_the_connection_options(argv: list[str]) -> None:
    args = build_parser().parse_args([*argv, "--uri", "neo4j+s://db:7687", "--database", "x"])
    assert args.uri == "neo4j+s://db:7687"
    assert callable(args.handler)


def test_prune_requires_a_date() -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["prune"])
    assert exit_info.value.code == 2


def test_an_unsupported_uri_is_a_configuration_error(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--uri", "http://localhost:7474"]) == 2
    assert "scheme must be one of" in capsys.readouterr().err


def test_a_bad_prune_date_is_explained(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prune", "--before", "last week"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_loading_a_missing_file_says_so(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(isolated_env / "missing.jsonl")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_doctor_on_a_dead_port_explains_and_never_prints_the_password(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPARK_LINEAGE_NEO4J_PASSWORD", "top-secret-pw")
    port = _closed_port()
    assert main(["doctor", "--uri", f"bolt://127.0.0.1:{port}"]) == 1
    out = capsys.readouterr()
    assert "[FAIL] connection: connection refused" in out.out
    assert "[ok] spool: 0 undelivered event(s)" in out.out
    assert "top-secret-pw" not in out.out + out.err


def test_the_password_file_is_read(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = isolated_env / "pw"
    secret.write_text("from-file-pw\n")
    port = _closed_port()
    assert main(["doctor", "--uri", f"bolt://127.0.0.1:{port}", "--password-file",
                 str(secret)]) == 1
    out = capsys.readouterr().out
    assert "password=set" in out
    assert "from-file-pw" not in out


def test_doctor_flags_a_spool_directory_it_cannot_write(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = isolated_env / "a-file"
    blocker.write_text("")
    port = _closed_port()
    assert main(["doctor", "--uri", f"bolt://127.0.0.1:{port}", "--spool-dir",
                 str(blocker / "spool")]) == 1
    assert "[FAIL] spool: the spool directory" in capsys.readouterr().out


NOT_UTF8 = b"pass\xe9word = 's\xffcret'\n"  # Latin-1 bytes: not UTF-8


def test_a_password_file_that_is_not_utf8_is_a_one_line_configuration_error(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = isolated_env / "pw"
    secret.write_bytes(NOT_UTF8)

    assert main(["doctor", "--password-file", str(secret)]) == 2

    err = capsys.readouterr().err
    assert err == (
        f"spark-lineage: configuration error: --password-file {secret} is not UTF-8 text "
        "(byte 4)\n"
    )


def test_a_config_file_that_is_not_utf8_is_a_one_line_configuration_error(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = isolated_env / "latin1.toml"
    config.write_bytes(b"[neo4j]\n" + NOT_UTF8)

    assert main(["doctor", "--config", str(config)]) == 2

    err = capsys.readouterr().err
    assert err == (
        f"spark-lineage: configuration error: config file {config} is not UTF-8 text (byte 12)\n"
    )


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["impact", "t.c", "--depth", "0"], "must be between 1 and"),
        (["upstream", "t.c", "--depth", "999"], "must be between 1 and"),
        (["graph", "t", "--depth", "-1"], "must be between 1 and"),
        (["reproduce", "t@1", "--depth", "51"], "must be between 1 and 50, not 51"),
        (["reproduce", "t@1", "--depth", "ten"], "not a whole number: 'ten'"),
    ],
)
def test_a_depth_out_of_range_is_a_usage_error_like_any_other(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)

    assert exit_info.value.code == 2
    assert complaint in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, line",
    [
        (["impact", "t.c", "--depth", "0"], "spark-lineage impact: error: argument --depth: must "
         "be between 1 and 25, not 0 (see spark-lineage impact --help)"),
        (["tags"], "spark-lineage tags: error: the following arguments are required: "
         "{apply,propagate,list} (see spark-lineage tags --help)"),
        (["no-such-command"], "spark-lineage: error: argument COMMAND: invalid choice: "),
    ],
)
def test_a_usage_error_is_one_line_that_points_at_help(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)

    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith(line), err
    assert err.rstrip().endswith("--help)"), err


def test_export_verify_takes_the_export_directory_as_out_and_names_it_in_errors(
    isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "exports" / "2024-01"

    assert main(["export", "verify", "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err == f"spark-lineage export verify: manifest {missing} does not exist\n"

    assert main(["export", "verify", "--out", str(missing), str(tmp_path / "m.json")]) == 1
    assert "give the manifest (or its directory) or --out DIR, once" in capsys.readouterr().err
