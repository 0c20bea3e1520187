"""Ctrl-C during a long command: immediate, except inside a write, which it lets finish."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from spark_lineage.textui.interrupt import SafeInterrupt


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_outside_a_shielded_section_interrupts_at_once() -> None:
    reached = False
    with pytest.raises(KeyboardInterrupt), SafeInterrupt():
        _ctrl_c()
        reached = True
    assert not reached


def test_ctrl_c_inside_a_shielded_section_is_raised_when_the_section_ends() -> None:
    finished_write = False
    with pytest.raises(KeyboardInterrupt), SafeInterrupt() as interrupt:
        with interrupt.shielded():
            _ctrl_c()
            finished_write = True
        pytest.fail("the interrupt must be raised as the section ends")
    assert finished_write


def test_a_second_ctrl_c_inside_a_shielded_section_interrupts_at_once() -> None:
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt), SafeInterrupt() as interrupt, interrupt.shielded():
        _ctrl_c()
        steps.append("first deferred")
        _ctrl_c()
        steps.append("not reached")
    assert steps == ["first deferred"]


def test_a_section_without_ctrl_c_leaves_nothing_pending() -> None:
    with SafeInterrupt() as interrupt:
        with interrupt.shielded():
            pass
        with interrupt.shielded():
            pass


def test_the_previous_handler_is_restored_on_the_way_out() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), SafeInterrupt():
        assert signal.getsignal(signal.SIGINT) is not before
        _ctrl_c()
    assert signal.getsignal(signal.SIGINT) is before


def test_outside_the_main_thread_it_installs_nothing() -> None:
    seen: list[object] = []

    def work() -> None:
        with SafeInterrupt() as interrupt, interrupt.shielded():
            seen.append(signal.getsignal(signal.SIGINT))

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [before]
