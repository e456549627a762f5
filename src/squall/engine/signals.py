"""Signals -> an orderly stop: SIGINT/SIGTERM interrupt, SIGUSR1 stops gracefully (waits
for background activities), SIGUSR2 stops without rollbacks (the reference's meanings)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from squall.engine.context import Interruption, RunContext
from squall.errors import Interrupted

__all__ = ["handle_signals", "request_stop"]

_SIGNALS = {
    "SIGINT": Interruption("SIGINT", "interrupted by SIGINT (Ctrl-C)"),
    "SIGTERM": Interruption("SIGTERM", "terminated by SIGTERM"),
    "SIGUSR1": Interruption("SIGUSR1", "asked to exit gracefully (SIGUSR1)", wait_background=True),
    "SIGUSR2": Interruption(
        "SIGUSR2",
        "asked to exit ungracefully (SIGUSR2): rollbacks are not played",
        play_rollbacks=False,
    ),
}


def request_stop(ctx: RunContext, interruption: Interruption) -> bool:
    """Record a stop request (the first one gives the reason); True if it was the first."""
    with ctx.lock:
        first = ctx.interruption is None
        if first:
            ctx.interruption = interruption
        ctx.stop.set()
    return first


@contextmanager
def handle_signals(ctx: RunContext) -> Iterator[None]:
    """Install the handlers for the duration of a run (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        interruption = _SIGNALS[name]
        request_stop(ctx, interruption.replace())
        if ctx.raise_on_signal:
            raise Interrupted(interruption.reason, name)

    names = [n for n in _SIGNALS if hasattr(signal, n)]
    previous = {n: signal.signal(getattr(signal, n), handler) for n in names}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)
