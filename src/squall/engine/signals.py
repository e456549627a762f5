"""Signals -> an orderly stop: SIGINT/SIGTERM interrupt, SIGUSR1 stops gracefully (waits
for background activities), SIGUSR2 stops without rollbacks (the reference's meanings).

While rollbacks play (``RunContext.shield`` is set), a first signal does not break into
the rollback that is running: it finishes, and the rest are left owed for ``squall
recover``; a second signal stops that rollback too (it is then owed again)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from squall import _signal as signal
from squall.engine.context import Interruption, RunContext
from squall.errors import Interrupted, early_signal

__all__ = [
    "disarm_deadline",
    "handle_signals",
    "request_stop",
    "request_stop_now",
    "signal_interruption",
    "stop_for_stream",
]

_SIGNALS = {
    "SIGINT": Interruption("SIGINT", "interrupted by SIGINT (Ctrl-C)"),
    "SIGTERM": Interruption("SIGTERM", "terminated by SIGTERM"),
    # the terminal or the SSH session closed: a stop like SIGTERM (unless ignored: nohup)
    "SIGHUP": Interruption("SIGHUP", "hung up (SIGHUP: the terminal or session closed)"),
    "SIGUSR1": Interruption("SIGUSR1", "asked to exit gracefully (SIGUSR1)", wait_background=True),
    "SIGUSR2": Interruption(
        "SIGUSR2",
        "asked to exit ungracefully (SIGUSR2): rollbacks are not played",
        play_rollbacks=False,
    ),
}


def signal_interruption(name: str) -> Interruption | None:
    """The stop a signal asks for (``SIGINT``, ``SIGTERM``, ``SIGUSR1``, ``SIGUSR2``), as
    a local run reads it; None for another name. The Temporal engine reads the signal the
    command line received with it, so both engines stop a run the same way."""
    known = _SIGNALS.get(name)
    return known.replace() if known is not None else None


def request_stop(ctx: RunContext, interruption: Interruption) -> bool:
    """Record a stop request (the first one gives the reason); True if it was the first."""
    with ctx.lock:
        first = ctx.interruption is None
        if first:
            ctx.interruption = interruption
        ctx.stop.set()
        if ctx.shield is not None:  # rollbacks: the first request lets the current one end
            ctx.shield += 1
            if ctx.shield < 2:
                return first
        ctx.halt.set()
    return first


def stop_for_stream(ctx: RunContext) -> None:
    """The run's event stream could not be written (a full disk): stop the run (once),
    so that nothing more is injected that a recovery would not know of; the rollbacks
    owed are played (kind ``stream``, as after a deadline)."""
    if ctx.interruption is not None and ctx.interruption.kind == "stream":
        return
    error = ctx.recorder.stream_error
    request_stop(
        ctx,
        Interruption(
            "event-stream",
            f"the run's event stream {ctx.recorder.events_path} could not be written "
            f"({error.strerror if error is not None else error}): the run stopped",
            kind="stream",
        ),
    )


def request_stop_now(ctx: RunContext, interruption: Interruption) -> None:
    """A stop asked from a thread (a plugin, a safeguard): also break into the main
    thread's current activity or pause, as a signal would: SIGUSR1 is sent to the main
    thread only while the run's own handler is installed (the first request keeps its
    reason)."""
    first = request_stop(ctx, interruption)
    main = threading.main_thread()
    if not first or threading.current_thread() is main:
        return
    if ctx.raise_on_signal and callable(signal.getsignal(signal.SIGUSR1)) and main.ident:
        signal.pthread_kill(main.ident, signal.SIGUSR1)


def _ignored(name: str) -> bool:
    """SIGHUP ignored by whoever started squall (``nohup``): a hang-up must not stop it."""
    return name == "SIGHUP" and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN


@contextmanager
def handle_signals(ctx: RunContext, deadline: float | None = None) -> Iterator[None]:
    """Install the handlers for the duration of a run (main thread only). ``deadline``
    (seconds, ``runtime.timeout``) arms a real timer whose SIGALRM stops the run the same
    way a signal does; ``disarm_deadline`` stops it before the rollbacks."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    known = dict(_SIGNALS)
    if deadline:
        known["SIGALRM"] = Interruption(
            "deadline",
            f"the run exceeded its deadline of {deadline:g}s (runtime.timeout)",
            kind="deadline",
        )

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.name_of(signum)
        interruption = known[name]
        request_stop(ctx, interruption.replace())
        if ctx.raise_on_signal and ctx.halt.is_set():
            first = ctx.interruption or interruption  # the first request gives the reason
            raise Interrupted(first.reason, first.name)

    names = [n for n in known if not _ignored(n)]
    early = early_signal()
    if early in known:  # received while loading (and maybe swallowed): nothing may start
        request_stop(ctx, known[early].replace())
    previous = {n: signal.signal(signal.number_of(n), handler) for n in names}
    if deadline:
        signal.setitimer(signal.ITIMER_REAL, deadline)
    try:
        yield
    finally:
        disarm_deadline()
        for name, old in previous.items():
            signal.signal(signal.number_of(name), old)
        _put_back_sigquit()


def _put_back_sigquit() -> None:
    """C's ``system()`` (``os.system`` in a python activity abandoned at its timeout)
    ignores SIGINT and SIGQUIT in the whole process until its child ends: SIGINT was put
    back above; SIGQUIT gets the disposition Python has for it (an in-process run must
    not return with it ignored)."""
    current = signal.getsignal(signal.SIGQUIT)
    if current is not None:
        signal.signal(signal.SIGQUIT, current)


def disarm_deadline() -> None:
    """Stop the run's deadline timer (the rollbacks are not cut short by it)."""
    if threading.current_thread() is threading.main_thread():
        signal.setitimer(signal.ITIMER_REAL, 0)
