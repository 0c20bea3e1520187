"""Unknown plan node classes (a newer Spark, a vendor fork, a third-party extension) degrade to a
flagged conservative answer: no exception, every written column still answered.

``tests/unit/lineage/test_lineage_engine.py`` renames the Window node of one recorded case; this
file does it for *every* operator node of *every* recorded golden case that writes (one node at a
time), so no rule family can crash or go silent on a node it does not know.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import figure

from spark_lineage.lineage import extract_lineage
from spark_lineage.model import CapturedPlan, QueryLineage

pytestmark = pytest.mark.reliability

#: The main line's recorded plans (each line's are in a folder of their own).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "spark-4.1"


def _recorded_cases() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text())
        for case in data["cases"]:
            yield f"{data['family']}: {case['title']}", case


def _renamings() -> Iterator[tuple[str, dict[str, Any], int, str]]:
    """(case, plan, index of an operator node, its class) for every non-root operator node with
    children, in the top-level node list, of the cases whose query writes a dataset."""
    for name, case in _recorded_cases():
        plan = case["plan"]
        original = extract_lineage(CapturedPlan.from_dict(plan))
        if not original.outputs:
            continue
        for index, node in enumerate(plan["nodes"]):
            if index == 0 or not node.get("num-children"):
                continue
            yield name, plan, index, str(node["class"])


RENAMINGS = list(_renamings())

def _params() -> list[Any]:
    return [
        pytest.param(name, plan, index, cls, id=f"{name} / #{index} {cls.rsplit('.', 1)[-1]}")
        for name, plan, index, cls in RENAMINGS
    ]


def _sources(lineage: QueryLineage) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(output dataset, written column) -> its source columns (dataset name, column name)."""
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for out in lineage.outputs:
        for edge in out.edges:
            source = (edge.source.dataset.name, edge.source.name)
            found.setdefault((out.dataset.name, edge.target.name), set()).add(source)
    return found


def _covered(source: tuple[str, str], sources: set[tuple[str, str]]) -> bool:
    """A source is covered by itself or, for a nested field (``address.city``), by the top-level
    column it lives in (an unknown node cannot see inside a struct)."""
    dataset, column = source
    return source in sources or (dataset, column.split(".", 1)[0]) in sources


def test_the_recorded_plans_offer_many_nodes_to_rename() -> None:
    figure("unknown-node renamings checked", len(RENAMINGS))
    assert len(RENAMINGS) >= 100


def _rename(plan: dict[str, Any], index: int) -> dict[str, Any]:
    mutated = copy.deepcopy(plan)
    mutated["nodes"][index]["class"] = "com.example.spark.FutureOperator"
    return mutated


@pytest.mark.parametrize(
    ("name", "plan", "index", "cls"),
    _params(),
)
def test_an_unknown_operator_gives_flagged_conservative_lineage_for_every_column(
    name: str, plan: dict[str, Any], index: int, cls: str
) -> None:
    before = extract_lineage(CapturedPlan.from_dict(plan))

    after = extract_lineage(CapturedPlan.from_dict(_rename(plan, index)))  # must not raise

    assert [o.dataset for o in after.outputs] == [o.dataset for o in before.outputs]
    for out_after in after.outputs:
        assert "FutureOperator" in out_after.conservative, f"{name}: not flagged"
    sources_after = _sources(after)
    for column, sources in _sources(before).items():  # conservative = a superset, never less
        lost = {s for s in sources if not _covered(s, sources_after.get(column, set()))}
        assert not lost, f"{name}: {column} lost sources {sorted(lost)} behind {cls}"


def test_an_unknown_operator_does_not_change_the_written_schema() -> None:
    changed: list[str] = []
    for name, plan, index, cls in RENAMINGS:
        before = extract_lineage(CapturedPlan.from_dict(plan))
        after = extract_lineage(CapturedPlan.from_dict(_rename(plan, index)))
        for out_before, out_after in zip(before.outputs, after.outputs, strict=True):
            want = [f.name for f in out_before.schema]
            got = [f.name for f in out_after.schema]
            if got != want:
                changed.append(f"{name} / #{index} {cls.rsplit('.', 1)[-1]}: {want} -> {got}")
    figure("unknown-node renamings that change the written schema", len(changed))
    assert not changed, "\n".join(changed[:10])


def test_without_known_target_names_the_guess_is_written_without_duplicate_columns() -> None:
    """A write that names no columns (CTAS, ``save(path)``): simulated by removing the names from
    every recorded file write. The guessed schema still holds every real column, each once."""
    checked = guessed = 0
    for name, plan, index, cls in RENAMINGS:
        if not plan["nodes"][0]["class"].endswith("InsertIntoHadoopFsRelationCommand"):
            continue
        nameless = _rename(plan, index)
        nameless["nodes"][0].pop("outputColumnNames", None)
        nameless["facts"]["write"]["column_names"] = None
        before = extract_lineage(CapturedPlan.from_dict(plan))
        after = extract_lineage(CapturedPlan.from_dict(nameless))
        for out_before, out_after in zip(before.outputs, after.outputs, strict=True):
            got = [f.name for f in out_after.schema]
            assert len({n.lower() for n in got}) == len(got), f"{name} / {cls}: {got}"
            assert {f.name for f in out_before.schema} <= set(got), f"{name} / {cls}: {got}"
        checked += 1
        guessed += any("written schema guessed" in w for w in after.warnings)
    figure("unknown-node renamings under a write without column names", checked)
    figure("... of which the written schema is a guess (said in a warning)", guessed)
    assert checked >= 100 and guessed >= 50


def test_an_unknown_cte_definition_gives_its_references_every_input_flagged() -> None:
    """Defect 2 of RELIABILITY.md section 7, fixed: the references of a CTE whose definition
    node is unknown answer with every column read so far, not with nothing."""
    (renaming,) = [
        r for r in RENAMINGS
        if r[0] == "subquery: CTE referenced twice (self-join on a CTE)"
        and r[3].endswith(".CTERelationDef")
    ]
    name, plan, index, _ = renaming
    after = extract_lineage(CapturedPlan.from_dict(_rename(plan, index)))
    (output,) = after.outputs
    assert {"CTERelationRef(undefined)", "FutureOperator"} <= set(output.conservative)
    boss = {e.source.name for e in output.edges if e.target.name == "boss"}
    read = {f.name for i in after.inputs for f in i.schema}
    assert boss == read, f"{name}: boss <- {sorted(boss)}, the query read {sorted(read)}"
