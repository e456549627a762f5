"""The local executor: performs the phase machine's steps in this process, with threads
for background activities, parallel groups and the continuous hypothesis."""

from __future__ import annotations

import time

from squall.engine.activity import ActivityInterrupted, run_activity, signals_may_raise
from squall.engine.context import RunContext, now_iso
from squall.engine.hypothesis import run_hypothesis
from squall.engine.machine import (
    Announce,
    Decide,
    Finish,
    Group,
    Halted,
    Hook,
    Hypothesis,
    Join,
    RollbacksEnd,
    RollbacksStart,
    Run,
    Step,
)
from squall.engine.machine import Background as StartBackground
from squall.engine.machine import Continuous as ContinuousStep
from squall.engine.rules import abandon_background, finish_run, hook_arguments, played_names
from squall.engine.signals import disarm_deadline, stop_for_stream
from squall.engine.verdict import RunFacts
from squall.errors import Interrupted
from squall.experiment.model import Activity
from squall.journal.recorder import Phase

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

    from squall.engine.background import Background, Continuous
    from squall.engine.machine import Steps

__all__ = ["LocalSteps"]


class LocalSteps:
    """Drives a phase machine (``machine.run_steps`` or ``recover_steps``) over a run's
    context; ``owed`` holds the rollbacks left unplayed when it ends."""

    def __init__(self, ctx: RunContext, facts: RunFacts, *, started: float | None = None) -> None:
        self.ctx = ctx
        self.facts = facts
        self.started = started
        self.owed: tuple[Activity, ...] = ()
        self._background: dict[str, Background] = {}
        self._continuous: Continuous | None = None

    def drive(self, steps: Steps) -> None:
        """Perform every step; a stop that interrupts one is thrown back as ``Halted``,
        any other exception as itself (the machine decides what it means)."""
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration:
                self.ctx.recorder.flush()
                return
            reply, error = None, None
            if type(step) is not Run:  # the last activity's line is in the stream first
                self.ctx.recorder.flush()
                self._stream_written()
            try:
                reply = self.perform(step)
            except (ActivityInterrupted, Interrupted):
                error = Halted()
            except BaseException as exc:  # a bug or a broken plugin: the machine says so
                error = exc

    def perform(self, step: Step) -> Any:
        ctx = self.ctx
        match step:
            case Run(activity=activity, phase=phase):
                return self._run(activity, phase)
            case Hypothesis(phase=phase):
                return run_hypothesis(ctx, phase)
            case Announce(text=text):
                ctx.listener.phase(text)
            case Hook(name=name):
                ctx.fire(name, **hook_arguments(name, ctx.recorder.journal))
            case StartBackground(activity=activity, phase=phase):
                if phase not in self._background:
                    # background, continuous and parallel: imported when an experiment
                    # has them (a run without them does not load their modules)
                    from squall.engine.background import Background

                    self._background[phase] = Background(ctx, phase)
                self._background[phase].start(activity)
            case Join(phase=phase):
                background = self._background.pop(phase, None)
                if background is not None:
                    try:
                        with signals_may_raise(ctx):
                            background.wait(lambda: abandon_background(ctx))
                    finally:
                        if abandon_background(ctx):  # a stop: none outlives it
                            background.stop()
            case Group(group=group, activities=activities, phase=phase):
                from squall.engine.parallel import run_group

                run_group(ctx, group, activities, phase)
            case ContinuousStep(start=start):
                return self._continuously(start)
            case Decide(play=play):
                disarm_deadline()  # the rollbacks are not cut short by the deadline
                self.facts.apply(ctx.recorder.journal)
                ctx.recorder.rollbacks_decided(play)  # a recovery keeps to this decision
            case RollbacksStart():
                ctx.stop.clear()
                ctx.halt.clear()
                ctx.shield = 0  # a first signal now lets the running rollback finish
            case RollbacksEnd():
                ctx.shield = None
                return played_names(ctx.recorder.journal.rollbacks)
            case Finish(owed=owed):
                self._finish(owed)
        return None

    def _run(self, activity: Activity, phase: str) -> int:
        """A foreground activity; returns the iterations a hook asked for after it."""
        ctx = self.ctx
        index = ctx.recorder.reserve(phase, activity.name)
        self._stream_written()  # else it is interrupted before it starts
        try:
            run = run_activity(ctx, activity, phase)
        except ActivityInterrupted as exc:
            if phase == Phase.ROLLBACKS:  # stopped half-way: still owed
                exc.run.squall = {**(exc.run.squall or {}), "interrupted": True}
            ctx.recorder.record(phase, exc.run, index)
            raise
        # its line shares the write of the next activity's start (``drive`` writes it
        # before any other step): each activity's start is in the stream before it runs
        ctx.recorder.record(phase, run, index, hold=True)
        return ctx.repeats.pop(id(activity), 0)

    def _stream_written(self) -> None:
        """The event stream could not be written (a full disk): stop the run before
        anything else starts that a recovery would not know of (not the rollbacks)."""
        if self.ctx.recorder.stream_error is not None and self.ctx.shield is None:
            stop_for_stream(self.ctx)

    def _continuously(self, start: bool) -> str | None:
        if start:
            from squall.engine.background import Continuous

            self._continuous = Continuous(self.ctx)
            self._continuous.start()
            return None
        continuous, self._continuous = self._continuous, None
        if continuous is None:
            return ""
        continuous.stop()
        return "" if continuous.error is None else repr(continuous.error)

    def _finish(self, owed: tuple[Activity, ...]) -> None:
        journal = self.ctx.recorder.journal
        journal.end = now_iso()
        if self.started is not None:
            journal.duration = time.perf_counter() - self.started
        self.owed = owed
        finish_run(self.ctx, self.facts, owed)
