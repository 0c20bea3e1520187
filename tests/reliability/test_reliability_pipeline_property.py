"""Property: over generated DataFrame pipelines, the agent never raises into the job and every
written column gets an answer.

Hypothesis draws random sequences of select / withColumn / filter / join / groupBy / union /
window over a small base DataFrame; each pipeline runs on the shared Spark session and is
written to parquet, with the agent attached (OpenLineage file sink). For every written column
the event must carry its sources (``columnLineage.fields``), unless the column holds no input
value at all (a literal, ``count(1)``, ``row_number()``), whose source list may be empty -- but
the column is still in the output schema, so "no sources" is an explicit answer, not silence.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from reliability_helpers import figure

from spark_lineage.agent import DisabledAgent, LineageAgent, attach, detach

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

OPS = ("select", "arith", "literal", "filter", "join", "group_by", "union", "window", "window_sum")


@dataclass
class Pipeline:
    """A DataFrame under construction and, per column, whether it holds an input value."""

    df: DataFrame
    sourced: dict[str, bool]
    steps: list[str] = field(default_factory=list)
    counter: int = 0

    def new_name(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"


def _apply(p: Pipeline, op: str, pick: int, base: DataFrame) -> None:
    columns = list(p.sourced)
    column = columns[pick % len(columns)]
    other = columns[(pick + 1) % len(columns)]
    if op == "select" and len(columns) > 1:
        keep = [c for i, c in enumerate(columns) if i != pick % len(columns)]
        p.df, p.sourced = p.df.select(*keep), {c: p.sourced[c] for c in keep}
    elif op == "arith":
        name = p.new_name("calc")
        p.df = p.df.withColumn(name, F.concat_ws("-", F.col(column).cast("string"), F.lit("x")))
        p.sourced[name] = p.sourced[column]
    elif op == "literal":
        name = p.new_name("lit")
        p.df, p.sourced[name] = p.df.withColumn(name, F.lit(7)), False
    elif op == "filter":
        p.df = p.df.filter(F.col(column).isNotNull())
    elif op == "join" and "id" in p.sourced:
        name = p.new_name("joined")
        right = base.select(F.col("id"), F.col("v").alias(name))
        p.df, p.sourced[name] = p.df.join(right, "id", "left"), True
    elif op == "group_by":
        count, top = p.new_name("n"), p.new_name("top")
        p.df = p.df.groupBy(column).agg(F.count(F.lit(1)).alias(count), F.max(other).alias(top))
        p.sourced = {column: p.sourced[column], count: False, top: p.sourced[other]}
    elif op == "union":
        p.df = p.df.unionByName(p.df)
    elif op == "window":
        name = p.new_name("rn")
        spec = Window.partitionBy(column).orderBy(F.col(other).desc())
        p.df, p.sourced[name] = p.df.withColumn(name, F.row_number().over(spec)), False
    elif op == "window_sum":
        name = p.new_name("running")
        spec = Window.partitionBy(other).orderBy(column)
        p.df = p.df.withColumn(name, F.count(F.col(column)).over(spec))
        p.sourced[name] = p.sourced[column]
    else:
        return
    p.steps.append(f"{op}({column})")


@pytest.fixture(scope="module")
def lineage_agent(
    spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LineageAgent, Path, Path]]:
    work = tmp_path_factory.mktemp("pipelines")
    events = work / "events.jsonl"
    agent = attach(spark, {"spark.lineage.openlineage.path": str(events)})
    assert not isinstance(agent, DisabledAgent), agent.reason
    yield agent, events, work
    health = agent.health()
    detach(spark, 60)
    figure("property: agent health", health.log_line())


def _output_event(events: Path, target: Path) -> dict[str, Any]:
    for line in events.read_text().splitlines():
        event = json.loads(line)
        for output in event.get("outputs", []):
            if output["name"] == str(target):
                return dict(output)
    raise AssertionError(f"no lineage event wrote {target}")


EXAMPLES: list[int] = []


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 7)), min_size=1, max_size=6))
def test_the_agent_never_raises_and_every_written_column_is_answered(
    spark: Any, lineage_agent: tuple[LineageAgent, Path, Path], steps: list[tuple[str, int]]
) -> None:
    agent, events, work = lineage_agent
    base = spark.createDataFrame(
        [(1, "a", 1.5), (2, "b", 2.5), (3, "a", None), (4, "c", 4.0)], ["id", "k", "v"]
    )
    pipeline = Pipeline(base, {"id": True, "k": True, "v": True})
    for op, pick in steps:
        _apply(pipeline, op, pick, base)
    target = work / f"out-{uuid.uuid4().hex[:10]}"

    pipeline.df.write.parquet(str(target))  # the job itself: must simply work
    assert agent.flush(60)

    health = agent.health()
    assert health.failed == 0 and health.listener_errors == 0, (pipeline.steps, health)
    output = _output_event(events, target)
    schema = [f["name"] for f in output["facets"]["schema"]["fields"]]
    assert set(schema) == set(pipeline.sourced), pipeline.steps
    answered = output["facets"].get("columnLineage", {}).get("fields", {})
    assert set(answered) == set(schema), f"{pipeline.steps}: every written column is listed"
    unanswered = [c for c, sourced in pipeline.sourced.items()
                  if sourced and not answered[c]["inputFields"]]
    assert not unanswered, f"{pipeline.steps}: no sources for {unanswered}"
    EXAMPLES.append(len(pipeline.steps))


def test_the_property_ran_enough_pipelines() -> None:
    """Runs after the property (file order): it really executed pipelines, not zero."""
    figure("property: pipelines executed", len(EXAMPLES))
    figure("property: steps per pipeline (max)", max(EXAMPLES, default=0))
    assert len(EXAMPLES) >= 10
