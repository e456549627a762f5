"""How long Temporal lets one squall activity run on a worker (start-to-close).

The activity's own ``timeout``, ``retry`` and ``wait_until`` are applied on the worker by
the squall code, exactly as locally (they are not also Temporal retries). Start-to-close
is the backstop above them: the activity's timeout times its attempts, the retry delays,
the wait-until bound and the pauses, plus a margin; an activity with no timeout gets
:data:`NO_TIMEOUT` (a worker that dies is noticed sooner, by its missing heartbeats).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from squall.experiment.model import Activity
from squall.plan import Plan

__all__ = ["MARGIN", "NO_TIMEOUT", "backstop", "durable_pauses", "resolved_pauses"]

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


def durable_pauses(
    plan: Plan,
    activity: Activity,
    resolved: Mapping[str, Sequence[float | None]] | None = None,
) -> tuple[float, float] | None:
    """The activity's pauses (before, after) when the workflow sleeps them as durable
    timers: written as numbers, or as ``${name}`` that the run's start resolved
    (``resolved``: :func:`resolved_pauses`, by the activity's pointer). None: the worker
    plays them (none, a dry activity's, or a ``${name}`` only that worker can resolve)."""
    pauses = activity.pauses
    if (pauses.before is None and pauses.after is None) or plan.skips_pauses(activity):
        return None
    known = (resolved or {}).get(activity.pointer) or (None, None)
    before = _pause(pauses.before, known[0])
    after = _pause(pauses.after, known[1])
    if before is None or after is None:
        return None
    return max(before, 0.0), max(after, 0.0)


def _pause(written: object, resolved: float | None) -> float | None:
    """A pause's seconds: 0 when there is none, its number, or what its ``${name}``
    resolved to at the start (None: not resolved there)."""
    if written is None:
        return 0.0
    seconds = _number(written)
    return seconds if seconds is not None else resolved


def resolved_pauses(plan: Plan, configuration: Mapping[str, Any]) -> dict[str, list[float | None]]:
    """The pauses written as ``${name}`` of the method's activities and the rollbacks,
    resolved with the run's configuration as the run starts, by activity pointer
    ([before, after], None where it is not one or does not resolve). The workflow sleeps
    them as durable timers (this goes into the journal's header: Temporal's history,
    replayed as is). Only configuration: a pause from a secret stays on the worker (no
    secret enters the history); a key a control adds later does not resolve here."""
    from squall.experiment.limits import seconds
    from squall.experiment.substitute import substitute

    def value(pause: object) -> float | None:
        if not isinstance(pause, str):
            return None
        try:
            return seconds(substitute(pause, configuration))
        except ValueError:  # unresolved, or not a number: the worker says so
            return None

    found: dict[str, list[float | None]] = {}
    for activity in (*plan.method, *plan.rollbacks):
        pair = [value(activity.pauses.before), value(activity.pauses.after)]
        if pair != [None, None]:
            found[activity.pointer] = pair
    return found
