"""Daemon threads for background activities and the continuous hypothesis.

Daemon threads, not a pool: an activity that hangs after the run was interrupted must not
keep the process alive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from squall.engine.activity import ActivityInterrupted, run_activity
from squall.engine.context import RunContext
from squall.engine.hypothesis import run_hypothesis
from squall.engine.rules import abandon_background
from squall.errors import Interrupted
from squall.experiment.model import Activity
from squall.journal.model import RunStatus
from squall.journal.recorder import Phase
from squall.masking import run_in_context
from squall.providers.base import cancellable
from squall.show import show_value

__all__ = ["Background", "Continuous"]


class Background:
    """Starts activities in the background and waits for them."""

    def __init__(self, ctx: RunContext, phase: str) -> None:
        self.ctx = ctx
        self.phase = phase
        self._threads: list[threading.Thread] = []
        #: one per activity, set when it has ended and is recorded (not Thread.is_alive:
        #: on Python 3.11 a join that a signal interrupted marks the thread stopped)
        self._done: list[threading.Event] = []
        #: set by a stop: a process activity is killed (squall.providers.base.cancellable)
        self.cancel = threading.Event()

    def start(self, activity: Activity) -> None:
        index = self.ctx.recorder.reserve(self.phase, activity.name)
        done = threading.Event()
        self._done.append(done)
        thread = threading.Thread(
            target=run_in_context(self._work),
            args=(activity, index, done),
            name=f"squall-bg-{activity.name}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _work(self, activity: Activity, index: int, done: threading.Event) -> None:
        try:
            with cancellable(self.cancel):
                try:
                    run = run_activity(self.ctx, activity, self.phase)
                except ActivityInterrupted as exc:
                    run = exc.run
            if self.cancel.is_set() and run.status is RunStatus.FAILED:  # a stop cut it
                run.squall = {**(run.squall or {}), "cancelled": True}
            self.ctx.recorder.record(self.phase, run, index)
        finally:
            done.set()

    def wait(self, should_stop: Callable[[], bool]) -> None:
        """Wait for every background activity, unless ``should_stop`` says to give up
        (the caller then calls ``stop``)."""
        for done in self._done:
            while not done.is_set():
                if should_stop():
                    return
                done.wait(0.05)

    def stop(self) -> None:
        """Cancel the background activities still running (a process is killed; Python
        code is interrupted, squall.providers.python) and give them the grace a parallel
        group's get to end; the ones still running are abandoned, with a warning. Called
        on a stop before anything else happens: left running, one could put back what a
        rollback undoes."""
        if all(done.is_set() for done in self._done):
            return
        from squall.engine.parallel import GRACE

        self.cancel.set()
        deadline = time.monotonic() + GRACE
        for done in self._done:
            done.wait(max(0.0, deadline - time.monotonic()))
        for done, thread in zip(self._done, self._threads, strict=True):
            if not done.is_set():
                self.ctx.listener.warning(
                    f"background activity {show_value(thread.name.removeprefix('squall-bg-'))} "
                    f"could not be stopped within {GRACE:g} s (Python code that ignores the "
                    "stop, or blocked outside Python): abandoned, it may still be running "
                    'while the rollbacks play; give it isolation: "process" to have it killed'
                )


class Continuous:
    """Re-runs the hypothesis every ``frequency`` seconds while the method runs."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._deviated = 0
        self._total = 0
        #: set when the loop has ended (not Thread.join: see Background._done)
        self._ended = threading.Event()
        #: set by a stop: a process probe is killed (squall.providers.base.cancellable)
        self._cancel = threading.Event()
        self._thread = threading.Thread(
            target=run_in_context(self._loop), name="squall-hypothesis", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Wait for the check under way to end; on a stop (not SIGUSR1's graceful one),
        cancel it and give it the background activities' grace, then abandon it: a
        probe that hangs must not hold the rollbacks."""
        self.done.set()
        while not self._ended.wait(0.05):
            if abandon_background(self.ctx):
                from squall.engine.parallel import GRACE

                self._cancel.set()
                if not self._ended.wait(GRACE):
                    self.ctx.listener.warning(
                        "the check of the steady state during the method was still running "
                        f"{GRACE:g} s after the stop: abandoned, it does not count"
                    )
                return

    def _loop(self) -> None:
        try:
            with cancellable(self._cancel):
                self._checks()
        finally:
            self._ended.set()

    def _checks(self) -> None:
        ctx = self.ctx
        try:
            while not self.done.is_set() and not ctx.stop.is_set():
                result = run_hypothesis(ctx, Phase.DURING)
                self._total += 1
                self._deviated += 0 if result.steady_state_met else 1
                if ctx.plan.fail_fast and self._tripped():
                    ctx.fail_fast_tripped = True
                    return
                self.done.wait(ctx.plan.frequency)
        except (ActivityInterrupted, Interrupted):
            return
        except BaseException as exc:  # reported as an aborted run
            self.error = exc

    def _tripped(self) -> bool:
        if not self._deviated:
            return False
        return self._deviated * 100.0 / self._total >= self.ctx.plan.fail_fast_ratio
