"""``chaoslib.exit``: stop the run from a driver or a control by signalling this process,
as the reference does (SIGUSR1: gracefully; SIGUSR2: without rollbacks)."""

from __future__ import annotations

import os
import signal

__all__ = ["exit_gracefully", "exit_ungracefully"]


def exit_gracefully() -> None:
    """Stop the run now; background activities are awaited, rollbacks per strategy."""
    os.kill(os.getpid(), signal.SIGUSR1)


def exit_ungracefully() -> None:
    """Stop the run now, without playing the rollbacks."""
    os.kill(os.getpid(), signal.SIGUSR2)
