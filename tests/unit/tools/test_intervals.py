"""Benchmark ratios: paired within repetitions, median with a percentile bootstrap interval."""

from __future__ import annotations

import pytest

from spark_lineage.tools.intervals import Interval, bootstrap_median, paired_ratios, settled


def test_ratios_are_taken_within_each_repetition() -> None:
    # the machine slowed down in the second repetition: both runs of it are slower
    assert paired_ratios([10.0, 20.0, 10.0], [11.0, 22.0, 10.5]) == pytest.approx([1.1, 1.1, 1.05])


def test_a_zero_baseline_gives_no_ratio() -> None:
    assert paired_ratios([0.0, 10.0], [1.0, 12.0]) == pytest.approx([1.2])


def test_the_interval_holds_the_median_and_lies_within_the_values() -> None:
    values = [1.02, 0.99, 1.01, 1.00, 1.03, 0.98, 1.01]

    interval = bootstrap_median(values)

    assert interval.median == pytest.approx(1.01)
    assert min(values) <= interval.low <= interval.median <= interval.high <= max(values)
    assert interval.n == 7


def test_more_repetitions_of_the_same_spread_narrow_the_interval() -> None:
    spread = [0.97, 0.99, 1.0, 1.01, 1.03]

    few = bootstrap_median(spread)
    many = bootstrap_median(spread * 8)

    assert many.high - many.low < few.high - few.low


def test_identical_values_give_a_zero_width_interval() -> None:
    interval = bootstrap_median([1.0] * 5)

    assert (interval.low, interval.high) == (1.0, 1.0)
    assert interval.half_width == 0.0


def test_the_same_values_give_the_same_interval() -> None:
    values = [0.9, 1.1, 1.0, 1.05, 0.95, 1.2]

    assert bootstrap_median(values) == bootstrap_median(values)


def test_one_value_is_its_own_interval_and_none_is_an_error() -> None:
    assert bootstrap_median([1.5]) == Interval(1.5, 1.5, 1.5, 1)
    with pytest.raises(ValueError, match="no values"):
        bootstrap_median([])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_median([1.0, 2.0], confidence=1.5)


def test_settled_means_every_interval_is_known_to_the_asked_width() -> None:
    tight = Interval(1.0, 0.995, 1.005, 9)
    wide = Interval(1.0, 0.95, 1.05, 5)

    assert tight.half_width == pytest.approx(0.005)
    assert settled([tight], 0.01)
    assert not settled([tight, wide], 0.01)
