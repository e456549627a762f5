"""Run one activity: pauses, dry mode, timeout, timing, provider call -> ActivityRun."""

from __future__ import annotations

import threading
import time

from squall.engine.attempts import call_provider, exception_only, fail, perform
from squall.engine.context import RunContext, now_iso
from squall.errors import ActivityFailed, Interrupted
from squall.experiment.flow import FailurePolicy
from squall.experiment.limits import seconds as duration
from squall.experiment.model import Activity
from squall.experiment.placeholders import unresolved
from squall.experiment.substitute import substitute
from squall.journal.model import ActivityRun, RunStatus, started_run
from squall.journal.recorder import Phase

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ActivityInterrupted", "call_provider", "run_activity"]


class ActivityInterrupted(Exception):
    """A signal stopped an activity; carries the interruption and the activity's entry."""

    def __init__(self, interrupted: Interrupted, run: ActivityRun) -> None:
        super().__init__(str(interrupted))
        self.interrupted = interrupted
        self.run = run


#: read once: an Enum member read from its class runs Enum code (0.9 k instructions)
_FAILED = RunStatus.FAILED
_MAIN_THREAD = threading.main_thread().ident
_clock_ns = time.perf_counter_ns


class signals_may_raise:
    """Let a signal raise ``Interrupted`` here (main thread only: user code and sleeps)."""

    __slots__ = ("ctx", "main")

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.main = threading.get_ident() == _MAIN_THREAD

    def __enter__(self) -> None:
        if self.main:
            self.ctx.raise_on_signal = True
            # a stop asked from a thread just before (a safeguard) sent no signal, since
            # nothing could raise yet: honour it now, not after the activity
            if self.ctx.halt.is_set():
                self.ctx.raise_on_signal = False
                first = self.ctx.interruption
                raise Interrupted(
                    first.reason if first else "the run was stopped",
                    first.name if first else "",
                )

    def __exit__(self, *exc_info: object) -> None:
        if self.main:
            self.ctx.raise_on_signal = False


def _pause(ctx: RunContext, seconds: Any, activity: Activity, where: str) -> None:
    if seconds is None:
        return
    try:
        value = duration(substitute(seconds, ctx.variables))
    except ValueError as exc:  # a ${name} that resolved to no usable number
        raise ActivityFailed(f"cannot pause: {exc}") from None
    if value <= 0:
        return
    ctx.listener.pausing(activity, where, value)
    if threading.get_ident() == _MAIN_THREAD:
        time.sleep(value)  # a signal raises Interrupted out of the sleep
    elif ctx.halt.wait(value):
        raise Interrupted("the run was stopped during a pause")


def run_activity(
    ctx: RunContext, activity: Activity, phase: str, *, in_hypothesis: bool = False
) -> ActivityRun:
    """Run one activity and return its run entry (failures are recorded, not raised).

    Raises:
        ActivityInterrupted: a signal arrived while it ran; it carries the (failed) entry.
    """
    ctx.listener.activity_started(activity, phase)
    run = started_run(activity.raw, now_iso())
    started = _clock_ns()
    plan = ctx.plan
    if activity.dry is None and plan.dry is None:  # the usual case, without two calls
        dry = skip_pauses = False
    else:
        dry, skip_pauses = plan.is_dry(activity), plan.skips_pauses(activity)
    warnings: list[str] = []
    interrupted: Interrupted | None = None
    hooked = ctx.activity_hooks
    mutable = dict(activity.raw) if hooked else {}
    try:
        if hooked:
            ctx.fire("squall_before_activity", activity=mutable, phase=phase)
            if mutable.get("dry") is True:  # a control (e.g. bypass) asked to skip it
                dry = skip_pauses = True
                run.activity = {**activity.raw, "dry": True}  # the entry says so
        with signals_may_raise(ctx):
            if not skip_pauses and activity.pauses.before is not None:
                _pause(ctx, activity.pauses.before, activity, "before")
                run.start = now_iso()  # the duration excludes pauses
                started = _clock_ns()
            if not dry:
                resolved = ctx.outputs.resolve(activity, run)  # ${outputs...}
                if hooked or plan.experiment.placeholders:  # else no ``$`` anywhere
                    _warn_undefined(ctx, resolved)
                perform(ctx, resolved, run, in_hypothesis=in_hypothesis, warnings=warnings)
    except ActivityFailed as exc:  # an ${outputs...} that cannot be resolved
        fail(run, str(exc), exception_only(exc))
    except Interrupted as exc:
        interrupted = exc
        fail(
            run,
            f"interrupted by {exc.signal_name or 'a stop request'}",
            exception_only(exc),
        )
    run.end = now_iso()
    # to the microsecond, as the Chaos Toolkit's durations are (a difference of two
    # datetimes): the journal's text of such a number is short ("0.000123"), where
    # ``repr`` of a float of 17 digits cost about 6 k instructions more per activity
    run.duration = (_clock_ns() - started) // 1000 / 1_000_000
    if interrupted is None and not skip_pauses and activity.pauses.after is not None:
        interrupted = _pause_after(ctx, activity, run)
    if phase == Phase.METHOD and interrupted is None and run.status is _FAILED:
        _apply_failure_policy(ctx, activity, run)
    for text in warnings:
        ctx.listener.warning(f"{activity.name}: {text}")
    if hooked and interrupted is None:
        interrupted = _after_hooks(ctx, activity, mutable, phase, run)
    if not in_hypothesis:  # probes are reported once their tolerance is judged
        ctx.listener.activity_finished(run, phase)
    if interrupted is not None:
        raise ActivityInterrupted(interrupted, run)
    ctx.outputs.keep(activity.name, run, phase, ran=not dry)
    return run


def _pause_after(ctx: RunContext, activity: Activity, run: ActivityRun) -> Interrupted | None:
    """The pause after the activity; the interruption that cut it short, if any."""
    try:
        with signals_may_raise(ctx):
            _pause(ctx, activity.pauses.after, activity, "after")
    except Interrupted as exc:
        return exc
    except ActivityFailed as exc:
        fail(run, str(exc), exception_only(exc))
    return None


def _warn_undefined(ctx: RunContext, activity: Activity) -> None:
    """A warning for each ``${name}`` of the activity (its ``${outputs...}`` resolved)
    still undefined now (no configuration key, secret or control's value): it is sent as
    its literal text, as the reference does, but never silently."""
    for name in unresolved(activity.raw.get("provider"), ctx.variables):
        ctx.listener.warning(
            f"{activity.name}: ${{{name}}} is not defined: sent as the literal text "
            f'(declare it in "configuration" or pass --var {name}=...)'
        )


def _after_hooks(
    ctx: RunContext, activity: Activity, mutable: dict[str, Any], phase: str, run: ActivityRun
) -> Interrupted | None:
    """Fire ``squall_after_activity``; keep the iterations a hook asked for (repeat)."""
    interrupted = None
    try:
        ctx.fire("squall_after_activity", activity=mutable, phase=phase, entry=run)
    except Interrupted as exc:
        interrupted = exc
    repeats = ctx.repeats.pop(id(mutable), 0)
    if repeats and phase in ("method", "rollbacks"):  # Engine._run_one runs them
        ctx.repeats[id(activity)] = repeats
    return interrupted


def _apply_failure_policy(ctx: RunContext, activity: Activity, run: ActivityRun) -> None:
    """Mark a failed method activity with its policy; ``abort`` asks the method to stop."""
    policy = ctx.plan.failure_policy(activity)
    if policy is None:
        return
    extra = run.squall if run.squall is not None else {}
    extra["on_failure"] = policy.value
    if policy is FailurePolicy.CONTINUE:
        extra["excused"] = True
    else:
        with ctx.lock:
            if not ctx.aborted_by:
                ctx.aborted_by = activity.name
    run.squall = extra
