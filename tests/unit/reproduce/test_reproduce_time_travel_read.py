"""The PySpark read that ``reproduce`` prints is code a user pastes: it must read back the exact
path or table name, whatever characters it holds, and never run anything else."""

from __future__ import annotations

import ast

import pytest

from spark_lineage.reproduce import InputVersion

NAMES = [
    "/lake/plain",
    "/lake/it's \"quoted\"",
    "/lake/back\\slash \\\\ twice",
    '/lake/x"); __import__("os").system("echo pwned"); ("',
    "/lake/é 中文 🦄 }) DETACH DELETE n // $param",
    "/lake/line\nbreak\ttab",
]


def _read_call(snippet: str) -> ast.Call:
    tree = ast.parse(snippet, mode="eval")
    assert isinstance(tree.body, ast.Call)
    return tree.body


@pytest.mark.parametrize("location", NAMES)
def test_a_path_read_loads_exactly_that_path(location: str) -> None:
    entry = InputVersion("file::" + location, location, None, "delta", 7, "exact")

    snippet = entry.time_travel_read()

    assert snippet is not None
    call = _read_call(snippet)
    assert isinstance(call.func, ast.Attribute) and call.func.attr == "load"
    assert [ast.literal_eval(arg) for arg in call.args] == [location]


@pytest.mark.parametrize("table", ["db.plain", 'db.it\'s "q"', "db.a\\b", 'x"); exit(); ("'])
def test_a_table_read_names_exactly_that_table(table: str) -> None:
    entry = InputVersion("file::/lake/t", "/lake/t", table, "delta", 7, "exact")

    snippet = entry.time_travel_read()

    assert snippet is not None
    call = _read_call(snippet)
    assert isinstance(call.func, ast.Attribute) and call.func.attr == "table"
    assert [ast.literal_eval(arg) for arg in call.args] == [table]


def test_a_plain_path_reads_as_before() -> None:
    entry = InputVersion("file::/lake/t", "/lake/t", None, "delta", 3, "exact")

    assert entry.time_travel_read() == (
        'spark.read.format("delta").option("versionAsOf", 3).load("/lake/t")'
    )
