"""How long Temporal lets one squall activity run on a worker (start-to-close).

The activity's own ``timeout``, ``retry`` and ``wait_until`` are applied on the worker by
the squall code, exactly as locally (they are not also Temporal retries). Start-to-close
is the backstop above them: the activity's timeout times its attempts, the retry delays,
the wait-until bound and the pauses, plus a margin; an activity with no timeout gets
:data:`NO_TIMEOUT` (a worker that dies is noticed sooner, by its missing heartbeats).
"""

from __future__ import annotations

from squall.experiment.model import Activity
from squall.plan import Plan

__all__ = ["MARGIN", "NO_TIMEOUT", "backstop", "durable_pauses"]

#: seconds added to what an activity may legitimately take
MARGIN = 60.0
#: seconds allowed to an activity that sets no timeout (six hours)
NO_TIMEOUT = 6 * 3600.0


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def backstop(activity: Activity) -> float:
    """Seconds of start-to-close for ``activity`` (see the module's text)."""
    timeout = _number(activity.timeout)
    if timeout is None:
        return NO_TIMEOUT
    flow = activity.flow
    attempts = flow.retry.attempts if flow.retry is not None else 1
    total = timeout * attempts
    if flow.retry is not None:
        total += sum(flow.retry.delay_before(n) for n in range(2, attempts + 1))
    if flow.wait_until is not None:
        total += flow.wait_until.timeout + timeout
    for pause in (activity.pauses.before, activity.pauses.after):
        seconds = _number(pause)
        if seconds is None and pause is not None:
            return NO_TIMEOUT  # a pause written as ${name}: not known until the run
        total += seconds or 0.0
    return min(total + MARGIN, NO_TIMEOUT)


def durable_pauses(plan: Plan, activity: Activity) -> tuple[float, float] | None:
    """The activity's pauses (before, after) when the workflow sleeps them as durable
    timers: both written as plain numbers. None: the worker plays them (none, a dry
    activity's, or one written as ``${name}`` or ``"2s"``, known only there)."""
    pauses = activity.pauses
    if (pauses.before is None and pauses.after is None) or plan.skips_pauses(activity):
        return None
    before = 0.0 if pauses.before is None else _number(pauses.before)
    after = 0.0 if pauses.after is None else _number(pauses.after)
    if before is None or after is None:
        return None
    return max(before, 0.0), max(after, 0.0)
