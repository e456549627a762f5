"""squall._signal (the C functions under ``signal``, without its enums) against signal."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from squall import _signal

_NAMES = ("SIGALRM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2")


@pytest.fixture
def usr1_kept() -> Iterator[None]:
    kept = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, kept)


def test_names_and_numbers_are_signal_s() -> None:
    for name in _NAMES:
        number = _signal.number_of(name)
        assert number == getattr(signal, name) == getattr(_signal, name)
        assert _signal.name_of(number) == signal.Signals(number).name == name
    assert (_signal.SIG_DFL, _signal.SIG_IGN) == (signal.SIG_DFL, signal.SIG_IGN)
    assert _signal.default_int_handler is signal.default_int_handler


def test_a_handler_installed_by_either_is_read_by_both(usr1_kept: None) -> None:
    def handler(signum: int, frame: object) -> None:
        pass

    # a member of signal.Handlers (what signal.getsignal gives back) is accepted
    _signal.signal(_signal.SIGUSR1, signal.Handlers.SIG_IGN)
    assert _signal.getsignal(_signal.SIGUSR1) == signal.SIG_IGN
    assert _signal.signal(_signal.SIGUSR1, handler) == _signal.SIG_IGN
    assert signal.getsignal(signal.SIGUSR1) is handler
    assert signal.signal(signal.SIGUSR1, signal.SIG_DFL) is handler
    assert _signal.getsignal(_signal.SIGUSR1) == _signal.SIG_DFL
