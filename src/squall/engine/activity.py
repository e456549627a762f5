"""Run one activity: pauses, dry mode, timeout, timing, provider call -> ActivityRun."""

from __future__ import annotations

import threading
import time
from typing import Any

from squall.engine.context import RunContext, now_iso
from squall.errors import ActivityFailed, Interrupted
from squall.experiment.model import Activity, GenericSpec
from squall.experiment.substitute import substitute
from squall.journal.model import ActivityRun, RunStatus
from squall.providers import Call
from squall.providers.python import UserCodeError

__all__ = ["ActivityInterrupted", "call_provider", "run_activity"]


class ActivityInterrupted(Exception):
    """A signal stopped an activity; carries the interruption and the activity's entry."""

    def __init__(self, interrupted: Interrupted, run: ActivityRun) -> None:
        super().__init__(str(interrupted))
        self.interrupted = interrupted
        self.run = run


def call_provider(
    ctx: RunContext,
    activity: Activity,
    *,
    in_hypothesis: bool = False,
    extra_arguments: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> Any:
    """Execute the activity's provider and return its output.

    Raises:
        ActivityFailed: the provider is unknown, the ref unresolved, or the call failed.
    """
    spec = activity.provider
    if spec is None:
        raise ActivityFailed(f"reference to unknown activity {activity.ref!r}")
    provider = ctx.registry.get(spec.type)
    if provider is None:
        raise ActivityFailed(f"unknown provider type {spec.type!r}; nothing was run")
    if isinstance(spec, GenericSpec):  # a plugin's type: it gets its mapping substituted
        spec = spec.replace(raw=substitute(spec.raw, ctx.variables))
    call = Call(
        name=activity.name,
        variables=ctx.variables,
        configuration=ctx.configuration,
        secrets=ctx.secrets,
        timeout=activity.timeout,
        in_hypothesis=in_hypothesis,
        extra_arguments=extra_arguments or {},
    )
    if warnings is not None:
        call.warnings = warnings
    return provider.run(spec, call)


_MAIN_THREAD = threading.main_thread().ident


class signals_may_raise:
    """Let a signal raise ``Interrupted`` here (main thread only: user code and sleeps)."""

    __slots__ = ("ctx", "main")

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.main = threading.get_ident() == _MAIN_THREAD

    def __enter__(self) -> None:
        if self.main:
            self.ctx.raise_on_signal = True

    def __exit__(self, *exc_info: object) -> None:
        if self.main:
            self.ctx.raise_on_signal = False


def _pause(ctx: RunContext, seconds: Any) -> None:
    if seconds is None:
        return
    value = float(substitute(seconds, ctx.variables))
    if value <= 0:
        return
    if threading.get_ident() == _MAIN_THREAD:
        time.sleep(value)  # a signal raises Interrupted out of the sleep
    elif ctx.stop.wait(value):
        raise Interrupted("the run was stopped during a pause")


def run_activity(
    ctx: RunContext, activity: Activity, phase: str, *, in_hypothesis: bool = False
) -> ActivityRun:
    """Run one activity and return its run entry (failures are recorded, not raised).

    Raises:
        ActivityInterrupted: a signal arrived while it ran; it carries the (failed) entry.
    """
    ctx.listener.activity_started(activity, phase)
    run = ActivityRun(activity=activity.raw, start=now_iso())
    started = time.perf_counter()
    dry = ctx.plan.is_dry(activity)
    skip_pauses = ctx.plan.skips_pauses(activity)
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
                _pause(ctx, activity.pauses.before)
                run.start = now_iso()  # the duration excludes pauses
                started = time.perf_counter()
            if not dry:
                run.output = call_provider(
                    ctx,
                    ctx.outputs.resolve(activity, run, ctx.secrets),  # ${outputs...}
                    in_hypothesis=in_hypothesis,
                    warnings=warnings,
                )
    except UserCodeError as exc:
        _fail(run, str(exc), exc.lines)
    except ActivityFailed as exc:
        _fail(run, str(exc), _exception_only(exc))
    except Interrupted as exc:
        interrupted = exc
        _fail(
            run,
            f"interrupted by {exc.signal_name or 'a stop request'}",
            _exception_only(exc),
        )
    run.end = now_iso()
    run.duration = time.perf_counter() - started
    if interrupted is None and not skip_pauses and activity.pauses.after is not None:
        try:
            with signals_may_raise(ctx):
                _pause(ctx, activity.pauses.after)
        except Interrupted as exc:
            interrupted = exc
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


def _exception_only(exc: BaseException) -> list[str]:
    """The journal's ``exception`` lines for an error without a useful traceback."""
    return [f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}\n"]


def _fail(run: ActivityRun, reason: str, lines: list[str]) -> None:
    run.status = RunStatus.FAILED
    run.reason = reason
    run.exception = lines
