"""The signal functions squall uses, from the interpreter's built-in ``_signal`` module.

``import signal`` wraps the same C functions, and first builds three enums of every
signal, handler and mask constant (about 3.4 M instructions, 2.5 % of a trivial run;
issue 14's eighth pass). The functions here are the C ones themselves: the same handlers
are installed and read, the numbers are plain ints (``signal.signal`` and
``signal.getsignal`` would return ``Signals``/``Handlers`` members, which compare equal
to them; compare handlers with ``==``, not ``is``).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C module under signal, no stub

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

    #: what signal.signal takes and gives back: a function, SIG_DFL, SIG_IGN or None
    Handler = Callable[[int, FrameType | None], Any] | int | None

__all__ = [
    "ITIMER_REAL",
    "SIGALRM",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGTERM",
    "SIGUSR1",
    "SIGUSR2",
    "SIG_DFL",
    "SIG_IGN",
    "default_int_handler",
    "getsignal",
    "name_of",
    "number_of",
    "pthread_kill",
    "setitimer",
    "signal",
]

SIGALRM: int = _signal.SIGALRM
SIGHUP: int = _signal.SIGHUP
SIGINT: int = _signal.SIGINT
SIGQUIT: int = _signal.SIGQUIT
SIGTERM: int = _signal.SIGTERM
SIGUSR1: int = _signal.SIGUSR1
SIGUSR2: int = _signal.SIGUSR2
SIG_DFL: int = _signal.SIG_DFL
SIG_IGN: int = _signal.SIG_IGN
ITIMER_REAL: int = _signal.ITIMER_REAL
default_int_handler: Callable[[int, FrameType | None], Any] = _signal.default_int_handler

_NUMBERS = {
    "SIGALRM": SIGALRM,
    "SIGHUP": SIGHUP,
    "SIGINT": SIGINT,
    "SIGQUIT": SIGQUIT,
    "SIGTERM": SIGTERM,
    "SIGUSR1": SIGUSR1,
    "SIGUSR2": SIGUSR2,
}
_NAMES = {number: name for name, number in _NUMBERS.items()}


def signal(signum: int, handler: Handler) -> Handler:
    """signal.signal: install ``handler``, give back the one it replaces."""
    if isinstance(handler, int):  # a signal.Handlers member: the C function wants the int
        handler = int(handler)
    previous: Handler = _signal.signal(signum, handler)
    return previous


def getsignal(signum: int) -> Handler:
    """signal.getsignal: the handler installed now."""
    current: Handler = _signal.getsignal(signum)
    return current


def pthread_kill(thread_id: int, signum: int) -> None:
    """signal.pthread_kill: send ``signum`` to one thread of this process."""
    _signal.pthread_kill(thread_id, signum)


def setitimer(which: int, seconds: float) -> None:
    """signal.setitimer, the interval left at 0: one timer (0 disarms it)."""
    _signal.setitimer(which, seconds)


def name_of(signum: int) -> str:
    """``signal.Signals(signum).name`` of the signals squall handles."""
    return _NAMES[signum]


def number_of(name: str) -> int:
    """The number of a signal squall handles, by name (``SIGTERM``)."""
    return _NUMBERS[name]
