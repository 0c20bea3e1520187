"""Malformed OpenLineage files for ``spark-lineage load``: a clear error with the line number for
each bad line, every valid line loaded, never a crash.

``tests/integration/test_neo4j_graph.py`` already covers one unterminated JSON object among valid
events and the idempotent reload; this file covers the other ways a file goes bad: truncated
lines, wrong types at every level, missing required fields, a huge line, binary junk and an empty
file.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from graph_inspect import delete_scope
from reliability_helpers import cli_env, figure, run_cli, simple_event

from spark_lineage.events import to_openlineage_json
from spark_lineage.openlineage_load import LineError, parse_lines

pytestmark = pytest.mark.reliability

Mutation = Callable[[dict[str, Any]], Any]


def _good_event(root: str, jobs_ns: str, n: int) -> dict[str, Any]:
    event = dataclasses.replace(simple_event(root, jobs_ns, n), run_id=str(uuid.uuid4()))
    parsed: dict[str, Any] = json.loads(to_openlineage_json(event))
    return parsed


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets a dotted path (list indexes as numbers) to ``value``."""

    def mutate(event: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        node: Any = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return event

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(event: dict[str, Any]) -> Any:
        *parents, last = path.split(".")
        node: Any = event
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]
        return event

    return mutate


_LINEAGE = "outputs.0.facets.columnLineage.fields.a"

#: (title, mutation of a valid event, words the error message must contain).
BAD_EVENTS: list[Any] = [
    ("the event is a JSON list", lambda e: [e], "must be a JSON object"),
    ("the event is a JSON string", lambda e: "COMPLETE", "must be a JSON object"),
    ("run is missing", _drop("run"), "run is missing"),
    ("job is missing", _drop("job"), "job is missing"),
    ("run.runId is missing", _drop("run.runId"), "run.runId"),
    ("eventTime is missing", _drop("eventTime"), "eventTime"),
    ("run is a string", _set("run", "r-1"), "run must be an object"),
    ("job.name is a number", _set("job.name", 7), "job.name"),
    ("eventTime is a number", _set("eventTime", 1700000000), "eventTime"),
    ("eventTime is not a date", _set("eventTime", "yesterday"), "eventTime"),
    ("eventType is unknown", _set("eventType", "EXPLODED"), "eventType"),
    ("inputs is an object", _set("inputs", {"a": 1}), "inputs must be a list"),
    ("an input has no name", _drop("inputs.0.name"), "namespace and a name"),
    ("columnLineage.fields is a list", _set("outputs.0.facets.columnLineage.fields", ["a"]),
     "columnLineage"),
    ("inputFields is a string", _set(_LINEAGE + ".inputFields", "a"), "inputFields"),
    pytest.param(
        "transformations is a number", _set(_LINEAGE + ".inputFields.0.transformations", 5), "",
    ),
    ("a transformation is a string",
     _set(_LINEAGE + ".inputFields.0.transformations", ["IDENTITY"]), "transformation"),
    pytest.param(
        "symlinks.identifiers is a number",
        _set("inputs.0.facets.symlinks", {"identifiers": 5}), "",
    ),
    pytest.param(
        "schema.fields is a number", _set("inputs.0.facets.schema", {"fields": 5}), "",
    ),
]


def _bad_line(mutation: Mutation) -> str:
    event = _good_event("/unit/", "unit", 0)
    return json.dumps(mutation(copy.deepcopy(event)))


def _titled(cases: list[Any]) -> list[Any]:
    """Each case as a pytest.param whose id is its title (keeping any xfail mark)."""
    params = []
    for case in cases:
        if hasattr(case, "marks"):  # already a pytest.param (an xfail case)
            params.append(pytest.param(*case.values, marks=case.marks, id=case.values[0]))
        else:
            params.append(pytest.param(*case, id=case[0]))
    return params


@pytest.mark.parametrize(("title", "mutation", "words"), _titled(BAD_EVENTS))
def test_a_malformed_event_is_one_line_error_naming_the_field_not_an_exception(
    title: str, mutation: Mutation, words: str
) -> None:
    good = json.dumps(_good_event("/unit/", "unit", 1))
    results = list(parse_lines([good, _bad_line(mutation), good]))

    assert [n for n, _ in results] == [1, 2, 3]
    error = results[1][1]
    assert isinstance(error, LineError), f"line 2 was accepted: {error}"
    assert error.line_no == 2
    assert words in error.message
    assert "\n" not in error.message
    assert not isinstance(results[0][1], LineError)
    assert not isinstance(results[2][1], LineError)


@pytest.fixture
def scope(neo4j_uri: str, neo4j_auth: tuple[str, str]) -> Iterator[tuple[str, str]]:
    tag = uuid.uuid4().hex[:10]
    root, jobs_ns = f"/rel-load-{tag}/", f"rel-load-{tag}"
    yield root, jobs_ns
    with neo4j.GraphDatabase.driver(neo4j_uri, auth=neo4j_auth) as driver:
        delete_scope(driver, f"file::{root}", f"{jobs_ns}::")


def _runs(uri: str, auth: tuple[str, str], jobs_ns: str) -> set[str]:
    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver:
        records = driver.execute_query(
            "MATCH (r:Run) WHERE r.job_key = $job RETURN r.run_id AS id",
            job=f"{jobs_ns}::reliability",
        ).records
    return {str(r["id"]) for r in records}


@pytest.mark.neo4j
def test_load_keeps_every_valid_line_and_names_each_bad_one_by_line_number(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    root, jobs_ns = scope
    good = [_good_event(root, jobs_ns, n) for n in range(4)]
    truncated = json.dumps(_good_event(root, jobs_ns, 9))[:57]
    huge = '{"eventType": "COMPLETE", "junk": "' + "x" * 5_000_000 + '"'
    bad_lines = [
        ("truncated JSON", truncated, "invalid JSON"),
        ("missing runId", _bad_line(_drop("run.runId")), "run.runId"),
        ("wrong type", _bad_line(_set("inputs", {"a": 1})), "inputs must be a list"),
        ("huge line", huge, "invalid JSON"),
        ("binary junk", "\x00\x01\ufffd\ufffdPK\x03\x04\x7f", "invalid JSON"),
    ]
    lines: list[str] = []
    expected_errors: dict[int, str] = {}
    for index, event in enumerate(good):
        lines.append(json.dumps(event))
        for _title, text, words in bad_lines[index * 2 : index * 2 + 2]:
            lines.append(text)
            expected_errors[len(lines)] = words
    lines.append("")  # a blank line is skipped, not an error
    path = tmp_path / "mixed.jsonl"
    data = "\n".join(lines).encode("utf-8")
    # Real binary junk: bytes that are not UTF-8 at all, on their own line.
    data += b"\n\xff\xfe\x00\x9c\x80garbage\xc3\x28\n"
    expected_errors[len(lines) + 1] = "invalid JSON"
    path.write_bytes(data)

    result = run_cli(["load", str(path)], cli_env(neo4j_uri, neo4j_auth, tmp_path))

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    assert len(error_lines) == len(expected_errors), result.stderr[:2000]
    for line_no, words in expected_errors.items():
        prefix = f"{path}:{line_no}: "
        matching = [line for line in error_lines if line.startswith(prefix)]
        assert matching and words in matching[0], (line_no, words, error_lines)
        assert len(matching[0]) < 300, "an error line must stay one short line, even for 5 MB"
    assert f"load: {len(good)} event(s) loaded" in result.stdout
    assert f"{len(expected_errors)} line(s) rejected" in result.stdout
    assert _runs(neo4j_uri, neo4j_auth, jobs_ns) == {e["run"]["runId"] for e in good}
    figure("load: bad lines rejected with line numbers", len(expected_errors))
    figure("load: file size (bytes)", os.path.getsize(path))


@pytest.mark.neo4j
def test_a_wrongly_typed_list_does_not_stop_the_load_of_the_lines_after_it(
    neo4j_uri: str, neo4j_auth: tuple[str, str], scope: tuple[str, str], tmp_path: Path
) -> None:
    root, jobs_ns = scope
    good = [_good_event(root, jobs_ns, n) for n in range(2)]
    bad = copy.deepcopy(_good_event(root, jobs_ns, 5))
    bad["inputs"][0]["facets"]["schema"] = {"fields": 5}
    path = tmp_path / "wrong-type.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [good[0], bad, good[1]]) + "\n")

    result = run_cli(["load", str(path)], cli_env(neo4j_uri, neo4j_auth, tmp_path))

    assert result.returncode == 1
    assert f"{path}:2: " in result.stderr
    assert "load: 2 event(s) loaded" in result.stdout
    assert _runs(neo4j_uri, neo4j_auth, jobs_ns) == {e["run"]["runId"] for e in good}


@pytest.mark.neo4j
def test_an_empty_file_loads_nothing_and_succeeds(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")

    result = run_cli(["load", str(path)], cli_env(neo4j_uri, neo4j_auth, tmp_path))

    assert result.returncode == 0, result.stderr
    assert "load: 0 event(s) loaded" in result.stdout
    assert "0 line(s) rejected" in result.stdout


@pytest.mark.neo4j
def test_a_missing_file_is_one_clear_error(
    neo4j_uri: str, neo4j_auth: tuple[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.jsonl"

    result = run_cli(["load", str(missing)], cli_env(neo4j_uri, neo4j_auth, tmp_path))

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr
