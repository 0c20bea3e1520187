"""The stall-free plan transfer returns exactly what ``LogicalPlan.toJSON()`` returns.

``spark_lineage.capture.transfer`` replaces ``toJSON()`` (one py4j reply, which stalls ~40 ms
once it is over 8 KB) with JVM-side rendering fetched in slices. Lineage reads that text, so it
must be byte-identical for every plan size and every character a plan can hold: quotes,
backslashes, newlines, non-Latin scripts and characters outside the Basic Multilingual Plane,
whose surrogate pairs must never be cut between two slices.
"""

from __future__ import annotations

from typing import Any

import pytest

from spark_lineage.capture.transfer import (
    BULK_CHARS,
    SLICE_CHARS,
    active_jvm,
    fetch_buffer,
    plan_json_text,
)

pytestmark = pytest.mark.integration

HOSTILE = 'q"uote \\back\\slash\nnew line 名前 😀 \u00e9'


def _plan(df: Any) -> Any:
    return df._jdf.queryExecution().analyzed()


def _projection(spark: Any, columns: int, literal: str = "x") -> Any:
    from pyspark.sql import functions as F

    return spark.range(3).select(
        [(F.col("id") + i).alias(f"c{i}") for i in range(columns)] + [F.lit(literal).alias("lit")]
    )


@pytest.mark.parametrize(
    "columns",
    [1, 10, 60, 400],
    ids=["one reply", "a few slices", "many slices", "bulk reply"],
)
def test_plan_json_is_byte_identical_to_to_json_at_every_size(spark: Any, columns: int) -> None:
    plan = _plan(_projection(spark, columns))

    expected = str(plan.toJSON())

    assert plan_json_text(plan, active_jvm()) == expected
    if columns == 400:
        assert len(expected) > BULK_CHARS
    if columns in (10, 60):
        assert SLICE_CHARS < len(expected) <= BULK_CHARS


def test_names_and_literals_with_quotes_newlines_and_emoji_arrive_unchanged(spark: Any) -> None:
    from pyspark.sql import functions as F

    df = _projection(spark, 30, literal=HOSTILE * 40).select(
        "*", F.col("c0").alias(f"col {HOSTILE}"), F.lit("😀" * 3000).alias("🙂 emoji")
    )
    plan = _plan(df)

    assert plan_json_text(plan, active_jvm()) == str(plan.toJSON())


@pytest.mark.parametrize("offset", [-2, -1, 0, 1])
def test_a_surrogate_pair_on_a_slice_boundary_is_never_split(spark: Any, offset: int) -> None:
    text = "a" * (SLICE_CHARS - 1 + offset) + "😀" + "b" * SLICE_CHARS + "😀x" * 10
    buffer = active_jvm().java.lang.StringBuilder(text)

    assert fetch_buffer(buffer) == text


@pytest.mark.parametrize("length", [0, 1, SLICE_CHARS, SLICE_CHARS + 1, 3 * SLICE_CHARS + 7])
def test_buffers_of_any_length_around_the_slice_size_arrive_whole(spark: Any, length: int) -> None:
    text = (HOSTILE * (length // len(HOSTILE) + 1))[:length]
    buffer = active_jvm().java.lang.StringBuilder(text)

    assert fetch_buffer(buffer) == text
