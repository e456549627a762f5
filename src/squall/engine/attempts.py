"""Call an activity's provider once, or as its ``retry`` or ``wait_until`` says, and judge
a tolerance (shared with the hypothesis). Each call's failure is recorded, not raised; a
stop request (signal, deadline, control) raises ``Interrupted`` out of a delay at once."""

from __future__ import annotations

import time

from squall.engine.context import RunContext, now_iso
from squall.errors import ActivityFailed, Interrupted, describe
from squall.experiment.flow import Retry, WaitUntil
from squall.experiment.model import Activity, GenericSpec, ProbeTolerance
from squall.experiment.substitute import substitute
from squall.experiment.tolerance import Verdict, check_tolerance
from squall.journal.model import ActivityRun, RunStatus
from squall.providers.base import cancel_event, new_call
from squall.providers.python import UserCodeError
from squall.show import counted, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["call_provider", "exception_only", "fail", "judge", "perform"]

#: How many calls of a retry the journal records (the first ones and the last).
KEPT_ATTEMPTS = 100

#: How often a delay inside a parallel group checks whether the group was cancelled.
_CANCEL_POLL = 0.05


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
        raise ActivityFailed(f"reference to unknown activity {show_value(activity.ref)}")
    provider = ctx.registry.get(spec.type)
    if provider is None:
        raise ActivityFailed(f"unknown provider type {show_value(spec.type)}; nothing was run")
    if isinstance(spec, GenericSpec):  # a plugin's type: it gets its mapping substituted
        spec = spec.replace(raw=substitute(spec.raw, ctx.variables))
    call = new_call(
        activity.name,
        ctx.variables,
        ctx.configuration or {},
        ctx.secrets or {},
        activity.timeout,
        in_hypothesis,
        extra_arguments or {},
        [] if warnings is None else warnings,
        activity.flow.isolation,
        ctx.halt,
    )
    try:
        return provider.run(spec, call)
    except (ActivityFailed, Interrupted):
        raise
    except BaseException as exc:  # a value no call can use, a plugin's bug: this activity
        raise ActivityFailed(f"the {spec.type} provider raised {describe(exc)}") from exc


def exception_only(exc: BaseException) -> list[str]:
    """The journal's ``exception`` lines for an error without a useful traceback."""
    return [f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}\n"]


def fail(run: ActivityRun, reason: str, lines: list[str]) -> None:
    run.status = RunStatus.FAILED
    run.reason = reason
    run.exception = lines


def judge(ctx: RunContext, probe: Activity, output: Any) -> Verdict:
    """Whether ``output`` is within the probe's tolerance (a probe tolerance is called)."""
    tolerance = probe.tolerance
    if isinstance(tolerance, ProbeTolerance):
        try:
            value = call_provider(
                ctx, tolerance.probe, in_hypothesis=True, extra_arguments={"value": output}
            )
        except ActivityFailed as exc:
            return Verdict(
                False, f"tolerance probe {show_value(tolerance.probe.name)} failed: {exc}"
            )
        if value:
            return Verdict(True)
        returned = show_value(value, 200)
        return Verdict(
            False, f"tolerance probe {show_value(tolerance.probe.name)} returned {returned}"
        )
    assert tolerance is not None
    return check_tolerance(tolerance, output, lambda v: substitute(v, ctx.variables))


def perform(
    ctx: RunContext,
    activity: Activity,
    run: ActivityRun,
    *,
    in_hypothesis: bool,
    warnings: list[str],
) -> None:
    """Fill ``run`` with the output, or the failure, of the activity's call(s).

    Raises:
        Interrupted: a stop was requested during a call or between two.
        ActivityFailed: its parallel group was cancelled between two calls.
    """
    flow = activity.flow
    if flow.wait_until is not None and activity.tolerance is not None:
        _wait_until(ctx, activity, run, flow.wait_until, in_hypothesis, warnings)
    elif flow.retry is not None and flow.retry.attempts > 1:
        _retry(ctx, activity, run, flow.retry, in_hypothesis, warnings)
    else:
        _once(ctx, activity, run, in_hypothesis, warnings)


def _once(
    ctx: RunContext, activity: Activity, run: ActivityRun, in_hypothesis: bool, warnings: list[str]
) -> None:
    try:
        run.output = call_provider(ctx, activity, in_hypothesis=in_hypothesis, warnings=warnings)
    except UserCodeError as exc:
        fail(run, str(exc), exc.lines)
    except ActivityFailed as exc:
        fail(run, str(exc), exception_only(exc))


def _again(run: ActivityRun) -> None:
    """Clear the previous call's result before the next one."""
    run.status = RunStatus.SUCCEEDED
    run.output = None
    run.exception = None
    run.reason = ""


def _wait(ctx: RunContext, seconds: float, what: str) -> None:
    """Sleep between two calls; a stop request (or a signal in the main thread, which
    raises from inside the wait) ends it at once, and so does the cancelling of the
    parallel group the activity belongs to.

    Raises:
        Interrupted: the run was asked to stop.
        ActivityFailed: the activity's parallel group was cancelled.
    """
    cancel = cancel_event()
    end = time.monotonic() + seconds
    while True:
        if ctx.halt.is_set():
            raise Interrupted(f"the run was stopped during {what}")
        if cancel is not None and cancel.is_set():
            raise ActivityFailed(f"cancelled during {what} (its parallel group was cancelled)")
        left = end - time.monotonic()
        if left <= 0:
            return
        ctx.halt.wait(left if cancel is None else min(left, _CANCEL_POLL))


def _last(warnings: list[str]) -> list[str]:
    """The warnings list for the next call: only the last call's warnings are kept."""
    warnings.clear()
    return warnings


def _squall(run: ActivityRun) -> dict[str, Any]:
    if run.squall is None:
        run.squall = {}
    return run.squall


def _retry(
    ctx: RunContext,
    activity: Activity,
    run: ActivityRun,
    retry: Retry,
    in_hypothesis: bool,
    warnings: list[str],
) -> None:
    attempts: list[dict[str, Any]] = []
    _squall(run)["attempts"] = attempts
    for number in range(1, retry.attempts + 1):
        if number > 1:
            _wait(ctx, retry.delay_before(number), "a retry delay")
            _again(run)
        start, started = now_iso(), time.perf_counter()
        _once(ctx, activity, run, in_hypothesis, _last(warnings))
        attempt: dict[str, Any] = {
            "attempt": number,
            "start": start,
            "duration": time.perf_counter() - started,
            "status": run.status.value,
        }
        if run.status is RunStatus.FAILED:
            attempt["error"] = run.reason
        _record(run, attempts, attempt)
        if run.status is RunStatus.SUCCEEDED:
            return
    run.reason = f"{run.reason} (after {counted(retry.attempts, 'attempt')})"


def _record(run: ActivityRun, attempts: list[dict[str, Any]], attempt: dict[str, Any]) -> None:
    """Keep the first ``KEPT_ATTEMPTS - 1`` calls and the last one; count the others."""
    if len(attempts) < KEPT_ATTEMPTS:
        attempts.append(attempt)
        return
    attempts[-1] = attempt
    record = _squall(run)
    record["attempts_not_recorded"] = record.get("attempts_not_recorded", 0) + 1


def _wait_until(
    ctx: RunContext,
    activity: Activity,
    run: ActivityRun,
    wait: WaitUntil,
    in_hypothesis: bool,
    warnings: list[str],
) -> None:
    started = time.monotonic()
    state: dict[str, Any] = {"timeout": wait.timeout, "polls": 0, "held": False}
    _squall(run)["wait_until"] = state
    why = ""
    while True:
        if state["polls"]:
            _again(run)
        _once(ctx, activity, run, in_hypothesis, _last(warnings))
        state["polls"] += 1
        if run.status is RunStatus.SUCCEEDED:
            verdict = judge(ctx, activity, run.output)
            state["held"], why = verdict.met, verdict.why
        else:
            why = f"the call failed: {run.reason}"
        state["elapsed"] = round(time.monotonic() - started, 3)
        remaining = wait.timeout - (time.monotonic() - started)
        if state["held"] or remaining <= 0:
            break
        _wait(ctx, min(wait.interval, remaining), "a wait_until poll")
    run.tolerance_met = state["held"]
    if state["held"]:
        return
    message = (
        f"the tolerance of {show_value(activity.name)} did not hold within {wait.timeout:g}s "
        f"({state['polls']} calls; last: {why or 'not met'})"
    )
    if in_hypothesis:
        run.reason = message
    else:
        fail(run, message, exception_only(ActivityFailed(message)))
