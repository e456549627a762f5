"""A stop asked from a thread (a safeguard) just before the main thread starts an
activity sent no signal (nothing could raise yet): the activity must not start and run
to its end, it is interrupted at once (the safeguard test was flaky: a 30 s sleep ran)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from squall.engine.activity import signals_may_raise
from squall.errors import Interrupted


def _ctx(halted: bool) -> SimpleNamespace:
    halt = threading.Event()
    if halted:
        halt.set()
    interruption = SimpleNamespace(reason="safeguard 'guard' tripped", name="guard")
    return SimpleNamespace(raise_on_signal=False, halt=halt, interruption=interruption)


def test_a_stop_already_asked_interrupts_before_the_activity_starts() -> None:
    ctx = _ctx(halted=True)
    ran = []
    with pytest.raises(Interrupted) as caught, signals_may_raise(ctx):  # type: ignore[arg-type]
        ran.append("activity")
    assert ran == []
    assert caught.value.reason == "safeguard 'guard' tripped"
    assert caught.value.signal_name == "guard"
    assert ctx.raise_on_signal is False


def test_without_a_stop_the_activity_runs_and_may_be_interrupted() -> None:
    ctx = _ctx(halted=False)
    with signals_may_raise(ctx):  # type: ignore[arg-type]
        assert ctx.raise_on_signal is True
    assert ctx.raise_on_signal is False


def test_other_threads_are_left_alone() -> None:
    ctx = _ctx(halted=True)
    box: list[object] = []

    def background() -> None:
        with signals_may_raise(ctx):  # type: ignore[arg-type]
            box.append("ran")

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert box == ["ran"]
