"""Progress on stderr: shown on a terminal only, a few times a second, ended with a newline."""

from __future__ import annotations

import io

from spark_lineage.textui.progress import Progress, duration


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_sees_count_rate_share_and_time_left() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress("load", "line(s)", stream=stream, clock=clock, interval=0.25)

    clock.now += 10
    progress.update(2500, 0.25)

    assert stream.getvalue() == "\rload: 2,500 line(s), 250/s, 25%, about 30s left"


def test_without_a_known_total_there_is_no_time_left() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress("load", "line(s)", stream=stream, clock=clock)

    clock.now += 2
    progress.update(40)

    assert stream.getvalue() == "\rload: 40 line(s), 20/s"


def test_updates_are_drawn_at_most_once_per_interval() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress("export", "step(s)", stream=stream, clock=clock, interval=0.25)

    for step in range(1, 101):  # 100 updates over 1 second
        clock.now += 0.01
        progress.update(step, step / 100)

    assert stream.getvalue().count("\r") == 4


def test_a_run_shorter_than_one_interval_draws_nothing() -> None:
    stream, clock = Terminal(), Clock()
    with Progress("tags apply", "tag(s)", stream=stream, clock=clock) as progress:
        progress.update(10, 1.0)

    assert stream.getvalue() == ""


def test_finishing_draws_the_last_state_and_ends_the_line() -> None:
    stream, clock = Terminal(), Clock()
    with Progress("load", "line(s)", stream=stream, clock=clock) as progress:
        clock.now += 1
        progress.update(1000, 0.5)
        clock.now += 0.1
        progress.update(1500, 1.0)  # too soon to draw: the finish shows it

    assert stream.getvalue().endswith("\rload: 1,500 line(s), 1,364/s, 100%, about 0s left\n")


def test_a_shorter_line_overwrites_the_longer_one_before_it() -> None:
    stream, clock = Terminal(), Clock()
    progress = Progress("load", "line(s)", stream=stream, clock=clock)
    clock.now += 1
    progress.update(10, 0.01)
    first = stream.getvalue()
    clock.now += 1
    progress.update(20)

    second = stream.getvalue()[len(first) :]
    assert len(second) == len(first)
    assert second.startswith("\rload: 20 line(s), 10/s ")


def test_a_log_file_or_pipe_gets_nothing() -> None:
    stream, clock = io.StringIO(), Clock()
    with Progress("load", "line(s)", stream=stream, clock=clock) as progress:
        clock.now += 60
        progress.update(1_000_000, 0.5)

    assert stream.getvalue() == ""


def test_times_left_read_like_a_person_says_them() -> None:
    assert [duration(s) for s in (0.4, 45, 185, 7800)] == ["0s", "45s", "3m 05s", "2h 10m"]


def test_the_line_never_wraps_on_a_narrow_terminal() -> None:
    stream, clock = Terminal(), Clock()  # no real terminal behind it: 80 columns assumed
    progress = Progress("tags apply " + "x" * 100, "tag(s)", stream=stream, clock=clock)
    clock.now += 1
    progress.update(5)

    assert len(stream.getvalue()) == 1 + 79
