"""SQ301: a long or continuous run with nothing that can stop it.

"Long" is measured, not guessed: the time the experiment may wait on purpose, that is the
sum over every activity of its pauses (before and after), its timeout (the activity's
``timeout``, or else its process/http provider's, once per ``retry`` attempt, plus the
retry delays) and any numeric ``duration`` argument, and a ``wait_until``'s timeout;
hypothesis probes count twice when the hypothesis runs before and after the method. A
``${name}`` is read from the configuration when that holds a number. A run is long when
this sum exceeds ``long_run_minutes`` (default 10). A continuous hypothesis (strategy
``continuously`` or ``during-method-only``) or a background activity in the method makes a
run open-ended whatever the sum.

A stop condition is an experiment-level safeguards control (``squall.controls.safeguards``,
``chaosaddons.controls.safeguards``, or any control module whose last part is
``safeguards``) or a ``runtime.timeout``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from squall.experiment.model import Activity, ConfigEnv, HypothesisStrategy
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.lint.walk import provider_raw

__all__ = ["check", "planned_seconds"]

_CONTINUOUS = (HypothesisStrategy.CONTINUOUSLY, HypothesisStrategy.DURING_METHOD_ONLY)
_ONCE = (HypothesisStrategy.BEFORE_METHOD_ONLY, HypothesisStrategy.AFTER_METHOD_ONLY)
_DURATION_KEYS = ("duration", "duration_s", "duration_seconds", "seconds")


def check(ctx: Context) -> Iterator[Finding]:
    experiment = ctx.experiment
    if experiment.runtime.timeout is not None or _has_safeguards(ctx):
        return
    why = _why_long(ctx)
    if why is None:
        return
    yield finding(
        rule("SQ301"), "/runtime" if experiment.runtime.present else "",
        f"{why}, and nothing can stop it early",
        'add "runtime": {"timeout": <seconds>} or a safeguards control (squall.controls.'
        "safeguards or chaosaddons.controls.safeguards) whose probes detect harm",
    )  # fmt: skip


def _has_safeguards(ctx: Context) -> bool:
    return any((c.module or "").rsplit(".", 1)[-1] == "safeguards" for c in ctx.experiment.controls)


def _why_long(ctx: Context) -> str | None:
    experiment = ctx.experiment
    strategy = experiment.runtime.hypothesis_strategy
    if strategy in _CONTINUOUS and experiment.hypothesis and experiment.hypothesis.probes:
        return f"the hypothesis runs {strategy.value}"
    background = [a.name for a in experiment.method if a.background]
    if background:
        return f"background activities ({', '.join(background)}) run alongside the method"
    seconds = planned_seconds(ctx)
    if seconds > ctx.long_run_minutes * 60:
        return (
            f"the run may wait {seconds / 60:.1f} minutes (pauses, timeouts, durations), more "
            f"than {ctx.long_run_minutes:g}"
        )
    return None


def planned_seconds(ctx: Context) -> float:
    """The time the experiment may wait on purpose (see the module docstring)."""
    experiment = ctx.experiment
    declared = experiment.referable()
    strategy = experiment.runtime.hypothesis_strategy
    times = 1 if strategy in _ONCE else 0 if strategy is HypothesisStrategy.SKIP else 2
    total = 0.0
    probes = experiment.hypothesis.probes if experiment.hypothesis else ()
    for activity in (*probes, *experiment.method, *experiment.rollbacks):
        target = declared.get(activity.ref, activity) if activity.ref else activity
        weight = times if any(activity is p for p in probes) else 1
        total += weight * _activity_seconds(target, experiment.configuration)
    return total


def _activity_seconds(activity: Activity, config: Mapping[str, Any]) -> float:
    pauses = activity.pauses
    total = _number(pauses.before, config) + _number(pauses.after, config)
    provider = provider_raw(activity)
    timeout = activity.timeout or _number(provider.get("timeout"), config)
    arguments = provider.get("arguments")
    if isinstance(arguments, Mapping):
        total += sum(_number(arguments.get(k), config) for k in _DURATION_KEYS)
    flow = activity.flow
    if flow.retry is not None:  # every attempt may take its timeout, plus the delays
        retry = flow.retry
        delays = sum(retry.delay_before(n) for n in range(2, retry.attempts + 1))
        return total + timeout * retry.attempts + delays
    if flow.wait_until is not None:  # the polling, then one last call at the deadline
        return total + flow.wait_until.timeout + timeout
    return total + timeout


def _number(value: Any, config: Mapping[str, Any]) -> float:
    """Seconds in ``value``: a number, a ``${name}`` naming a number, else 0."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        value = config.get(value[2:-1])
        if isinstance(value, ConfigEnv):
            value = value.default
    if isinstance(value, list) and value:  # an http [connect, read] timeout
        return sum(_number(v, config) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return max(float(value), 0.0)
