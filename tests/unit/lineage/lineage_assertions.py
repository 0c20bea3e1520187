"""The one assertion every lineage test uses, and access to the recorded golden cases.

The golden cases are recorded once per Spark line (``scripts/record_plans.py --spark <line>``)
into ``tests/fixtures/plans/spark-<line>/``; a case a line cannot run is recorded there as
``skipped`` with the reason.

``assert_column_lineage(lineage, edges, deps)`` compares an extraction with the expected label
triples exactly (sets: nothing missing, nothing extra) and prints a readable diff on failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spark_lineage.lineage import extract_lineage
from spark_lineage.lineage.labels import (
    dependency_rows,
    edge_rows,
    input_labels,
    schema_rows,
    version_rows,
)
from spark_lineage.model import CapturedPlan, QueryLineage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "plans"
#: The main line (``make setup``): the fixtures the tests of one recorded detail read.
MAIN_LINE = "4.1"


def recorded_lines() -> list[str]:
    """The Spark lines that have recorded fixtures, e.g. ``["3.5", "4.0", "4.1"]``."""
    return sorted(path.name.removeprefix("spark-") for path in FIXTURES.glob("spark-*"))


def fixture_dir(line: str = MAIN_LINE) -> Path:
    return FIXTURES / f"spark-{line}"


def golden_cases(line: str = MAIN_LINE) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``family: title``, recorded case) for every case of every fixture file of ``line``,
    the skipped ones included (they have ``skipped``, the reason, instead of a ``plan``)."""
    for path in sorted(fixture_dir(line).glob("*.json")):
        data = json.loads(path.read_text())
        for case in data["cases"]:
            yield f"{data['family']}: {case['title']}", case


def lineage_of(case: dict[str, Any]) -> QueryLineage:
    return extract_lineage(CapturedPlan.from_dict(case["plan"]))


def assert_column_lineage(
    lineage: QueryLineage,
    edges: Iterable[Iterable[str]],
    deps: Iterable[Iterable[str]] = (),
    inputs: Iterable[str] | None = None,
) -> None:
    want_edges = {tuple(e) for e in edges}
    got_edges = edge_rows(lineage)
    missing, extra = sorted(want_edges - got_edges), sorted(got_edges - want_edges)
    assert got_edges == want_edges, f"missing edges {missing}\nextra edges {extra}"
    want_deps = {tuple(d) for d in deps}
    got_deps = dependency_rows(lineage)
    assert got_deps == want_deps, (
        f"missing deps {sorted(want_deps - got_deps)}\nextra deps {sorted(got_deps - want_deps)}"
    )
    if inputs is not None:
        assert input_labels(lineage) == set(inputs)


def assert_versions_and_schema(
    lineage: QueryLineage,
    versions: Iterable[Iterable[str]] | None,
    schema: Iterable[str] | None,
) -> None:
    """The versions read and written (``version_rows`` labels, exactly) and the written schema,
    each only when the case states it."""
    if versions is not None:
        want = {tuple(v) for v in versions}
        got = version_rows(lineage)
        assert got == want, f"missing versions {sorted(want - got)}\nextra {sorted(got - want)}"
    if schema is not None:
        assert schema_rows(lineage) == list(schema)
