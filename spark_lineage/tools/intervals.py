"""Ratios with confidence intervals, for benchmarks that compare variants run in the same session.

A benchmark runs each variant once per repetition, the variants one after the other (rotated from
one repetition to the next), so a repetition's runs share the machine's state of that moment.
The ratio of a variant to the baseline is therefore taken **within** each repetition
(:func:`paired_ratios`), and the figure is the median of those ratios with a percentile
bootstrap interval (:func:`bootstrap_median`): the repetitions are resampled with replacement,
and the interval holds the middle ``confidence`` share of the resampled medians.

With few repetitions the interval is honest rather than tight: with five ratios, a resampled
median can only be one of the five, so the interval spans the middle ones. That is why the
benchmark keeps adding repetitions while the interval is wider than it needs (:func:`settled`),
within its time budget.

Pure Python, seeded: the same figures give the same interval.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Interval:
    """A median and its bootstrap interval, over ``n`` values."""

    median: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width, relative to the median (0.01: the median is known to 1 %)."""
        if self.median == 0:
            return float("inf") if self.high != self.low else 0.0
        return (self.high - self.low) / 2 / abs(self.median)

    def to_dict(self) -> dict[str, float]:
        return {"median": round(self.median, 4), "low": round(self.low, 4),
                "high": round(self.high, 4), "n": self.n}

    def __str__(self) -> str:
        return f"{self.median:.3f} [{self.low:.3f}, {self.high:.3f}]"


def paired_ratios(base: Sequence[float], other: Sequence[float]) -> list[float]:
    """``other[i] / base[i]`` for each repetition ``i`` that has both (a zero base is skipped)."""
    return [o / b for b, o in zip(base, other, strict=False) if b]


def bootstrap_median(
    values: Sequence[float],
    confidence: float = 0.95,
    resamples: int = 4000,
    seed: int = 20261204,
) -> Interval:
    """The median of ``values`` with its percentile bootstrap interval."""
    if not values:
        raise ValueError("no values to summarise")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    data = list(values)
    median = statistics.median(data)
    if len(data) == 1:
        return Interval(median, median, median, 1)
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(data, k=len(data))) for _ in range(resamples))
    tail = (1 - confidence) / 2
    low = medians[int(tail * (resamples - 1))]
    high = medians[round((1 - tail) * (resamples - 1))]
    return Interval(median, low, high, len(data))


def settled(intervals: Sequence[Interval], half_width: float) -> bool:
    """True when every interval is known to within ``half_width`` (relative)."""
    return all(i.half_width <= half_width for i in intervals)


__all__ = ["Interval", "bootstrap_median", "paired_ratios", "settled"]
