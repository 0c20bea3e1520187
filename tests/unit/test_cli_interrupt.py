"""Ctrl-C ends any command with "interrupted" and exit 130, also when it broke the driver."""

from __future__ import annotations

import argparse

import pytest

from spark_lineage.cli import app as cli
from spark_lineage.graph.settings import Neo4jSettings


def _driver_broken_by_ctrl_c(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        # What the driver raises when its clean-up finds a buffer Ctrl-C left half-packed.
        raise BufferError("Existing exports of data: object cannot be re-sized")  # noqa: B904


def _plain_ctrl_c(args: argparse.Namespace, settings: Neo4jSettings) -> int:
    raise KeyboardInterrupt


@pytest.mark.parametrize("handler", [_plain_ctrl_c, _driver_broken_by_ctrl_c])
def test_ctrl_c_is_reported_as_an_interruption(
    handler: cli.Handler, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_doctor", handler)

    assert cli.main(["doctor", "--uri", "bolt://127.0.0.1:1"]) == 130
    assert capsys.readouterr().err == "spark-lineage doctor: interrupted\n"


def test_a_driver_failure_without_ctrl_c_is_still_a_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: argparse.Namespace, settings: Neo4jSettings) -> int:
        raise BufferError("Existing exports of data: object cannot be re-sized")

    monkeypatch.setattr(cli, "_doctor", broken)

    assert cli.main(["doctor", "--uri", "bolt://127.0.0.1:1"]) == 1
    assert "BufferError" in capsys.readouterr().err
