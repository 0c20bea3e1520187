"""The write deadline of the Neo4j sink: an answer in time passes through, silence does not wait."""

from __future__ import annotations

import threading

import pytest

from spark_lineage.sinks.deadline import WriteTimeout, call_with_deadline, write_deadline_s


def test_a_write_that_answers_in_time_gives_its_result_or_its_error() -> None:
    assert call_with_deadline(lambda: 42, 5.0) == 42

    def refused() -> int:
        raise ValueError("rejected by the server")

    with pytest.raises(ValueError, match="rejected by the server"):
        call_with_deadline(refused, 5.0)


def test_a_write_that_never_answers_is_given_up_at_its_deadline() -> None:
    silent = threading.Event()

    with pytest.raises(WriteTimeout, match="no answer from Neo4j within 0 s"):
        call_with_deadline(silent.wait, 0.2)
    silent.set()  # the abandoned call ends when its connection does


def test_wide_events_get_more_time() -> None:
    assert write_deadline_s(10.0, 0) == 10.0
    assert write_deadline_s(10.0, 5_000) == pytest.approx(20.0)
