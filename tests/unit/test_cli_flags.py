"""One spelling per flag across the CLI: what every command accepts, checked without Neo4j."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import spark_lineage
from spark_lineage.cli import build_parser, main

REPO = Path(__file__).resolve().parents[2]
NOWHERE = ["--uri", "bolt://127.0.0.1:9"]  # nothing listens: connecting would exit 1, not 2


def test_version_prints_the_name_and_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])

    assert exit_info.value.code == 0
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert capsys.readouterr().out == f"spark-lineage {pyproject['project']['version']}\n"
    assert spark_lineage.__version__ == pyproject["project"]["version"]


TAG_COMMANDS = [
    ["tag", "t", "--column", "a"],
    ["tags", "propagate"],
    ["tags", "list"],
    ["export"],
]


@pytest.mark.parametrize("argv", TAG_COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize("flag", ["-t", "--tag"])
def test_every_tag_command_takes_t_and_tag_repeated(argv: list[str], flag: str) -> None:
    args = build_parser().parse_args([*argv, flag, "pii", flag, "gdpr"])

    assert args.tag == ["pii", "gdpr"]


@pytest.mark.parametrize(
    "argv", [["impact", "t"], ["upstream", "t"], ["graph", "t"], ["tag", "t", "-t", "pii"]]
)
def test_column_can_be_repeated_wherever_it_exists(argv: list[str]) -> None:
    args = build_parser().parse_args([*argv, "--column", "a", "--column", "b"])

    assert args.column == ["a", "b"]


@pytest.mark.parametrize(
    "argv",
    [["impact", "t"], ["upstream", "t"], ["path", "s", "t"], ["tags", "list"]],
    ids=lambda a: a[0] if a[0] != "tags" else "tags list",
)
def test_row_output_is_table_json_or_csv_and_wide_is_offered(argv: list[str]) -> None:
    for fmt in ("table", "json", "csv"):
        assert build_parser().parse_args([*argv, "--format", fmt, "--wide"]).format == fmt


@pytest.mark.parametrize("argv", [["reproduce", "t@1"], ["migrate"]])
def test_tree_and_report_output_is_text_or_json(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_parser().parse_args([*argv, "--format", "json"]).format == "json"
    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--format", "table"])


@pytest.mark.parametrize("argv", [["replay"], ["doctor"]])
def test_the_spool_directory_is_an_option_of_the_commands_that_read_the_spool(
    argv: list[str],
) -> None:
    assert build_parser().parse_args([*argv, "--spool-dir", "/x"]).spool_dir == Path("/x")


@pytest.mark.parametrize(
    "argv",
    [["load", "f"], ["impact", "t"], ["export"], ["tags", "list"], ["schema", "init"]],
    ids=lambda a: " ".join(a),
)
def test_commands_that_never_touch_the_spool_do_not_offer_it(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*argv, "--spool-dir=/x"])

    assert exit_info.value.code == 2
    assert "unrecognized arguments: --spool-dir" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_an_html_file_with_a_text_format_is_a_usage_error_before_connecting(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["graph", *NOWHERE, "t", "--html", str(tmp_path / "g.html"), "--format", fmt]

    assert main(argv) == 2

    err = capsys.readouterr().err
    assert err == (
        f"spark-lineage graph: --html writes HTML; drop --format {fmt} "
        "(or drop --html to print it)\n"
    )
    assert not (tmp_path / "g.html").exists()


def test_load_takes_a_dash_for_standard_input() -> None:
    assert build_parser().parse_args(["load", "-"]).file == "-"
