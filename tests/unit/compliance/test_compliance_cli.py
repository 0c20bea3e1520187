"""The compliance commands' contract with schedulers: exit codes and messages, no Neo4j needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_lineage.cli import main

# Nothing listens here: a command that tried to connect would fail with 1, not the code expected.
NOWHERE = ["--uri", "bolt://127.0.0.1:9"]


def test_export_without_an_output_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["export", *NOWHERE]) == 2
    assert "--out is required" in capsys.readouterr().err


def test_export_with_an_unreadable_time_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", *NOWHERE, "--out", str(tmp_path), "--since", "last week"]) == 2
    assert "invalid time 'last week'" in capsys.readouterr().err


def test_verify_of_a_missing_manifest_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "verify", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_an_invalid_policy_file_fails_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "tags.toml"
    policy.write_text('[[rule]]\ndatasets = "*"\ncolumns = "email"\ntags = "not ok"\n')
    assert main(["tags", "apply", *NOWHERE, str(policy)]) == 1
    assert "invalid tag name 'not ok'" in capsys.readouterr().err


def test_an_unreachable_graph_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "export",
                *NOWHERE,
                "--out",
                str(tmp_path),
                "--since",
                "2026-01-01",
                "--until",
                "2026-01-02",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("spark-lineage export: ") and "Traceback" not in err
