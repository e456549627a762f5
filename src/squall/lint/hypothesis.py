"""SQ201-SQ203: a steady-state hypothesis that cannot fail."""

from __future__ import annotations

import re
from collections.abc import Iterator

from squall.experiment._reader import misspelt
from squall.experiment.model import (
    Activity,
    HypothesisStrategy,
    JsonPathTolerance,
    ListTolerance,
    RangeTolerance,
    RegexTolerance,
)
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.show import show_value

__all__ = ["accepts_every_string", "check"]

#: Strings unlike each other; a pattern that re.search finds in all of them finds one in any.
_SAMPLES = (
    "",
    "x",
    "\n",
    "\x00",
    "0",
    "ERROR: 503 Service Unavailable\n",
    "{}",
    " \t",
    "Zq9-" * 80,
)

#: A range at least this wide covers every 64-bit integer and every practical float.
_HUGE = float(2**63)


def check(ctx: Context) -> Iterator[Finding]:
    hypothesis = ctx.experiment.hypothesis
    strategy = ctx.experiment.runtime.hypothesis_strategy
    if hypothesis is None or not hypothesis.probes:
        if strategy is not HypothesisStrategy.SKIP:
            where = "/steady-state-hypothesis" if hypothesis is not None else ""
            fix = 'add a steady-state-hypothesis probe with a tolerance that describes "normal"'
            typo = misspelt(ctx.experiment.raw, "steady-state-hypothesis") if not where else None
            if typo is not None:
                fix = (f'rename {show_value(typo)} to "steady-state-hypothesis": squall (like '
                       f"the Chaos Toolkit) reads only that key, so {show_value(typo)} is "
                       "never checked")  # fmt: skip
            yield finding(
                rule("SQ201"), where + ("/probes" if hypothesis is not None else ""),
                "the steady-state hypothesis has no probes, so the run can never deviate", fix,
            )  # fmt: skip
        return
    for probe in hypothesis.probes:
        yield from _tolerance(probe)


def accepts_every_string(pattern: str) -> bool:
    """True when ``re.search(pattern, s)`` matches whatever ``s`` is (e.g. ``.*``, ``^``)."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    return all(compiled.search(sample) is not None for sample in _SAMPLES)


def _everything(probe: Activity) -> str | None:
    """Why the probe's tolerance is met by every output, or None."""
    tolerance = probe.tolerance
    if isinstance(tolerance, RegexTolerance):
        pattern = tolerance.pattern
        if "${" not in pattern and accepts_every_string(pattern):
            return f"the regex {show_value(pattern)} matches every text"
    elif isinstance(tolerance, RangeTolerance):
        if tolerance.low <= -_HUGE and tolerance.high >= _HUGE:
            return f"the range [{tolerance.low:g}, {tolerance.high:g}] contains every number"
    elif isinstance(tolerance, ListTolerance):
        values = tolerance.values
        if any(v is True for v in values) and any(v is False for v in values):
            return "the list holds both true and false, so every boolean output is in it"
    return None


def _tolerance(probe: Activity) -> Iterator[Finding]:
    where = probe.pointer + "/tolerance"
    why = _everything(probe)
    if why is not None:
        yield finding(
            rule("SQ202"), where, f"probe {show_value(probe.name)} can never fail: {why}",
            "make the tolerance describe the normal output only (e.g. a narrower range, an "
            "anchored regex, a single expected value)", probe.name,
        )  # fmt: skip
    tolerance = probe.tolerance
    if isinstance(tolerance, JsonPathTolerance) and not tolerance.has_expect:
        if tolerance.count is not None:
            return
        yield finding(
            rule("SQ203"), where,
            f"probe {show_value(probe.name)} only checks that {show_value(tolerance.path)} "
            "matches something",
            "add \"expect\" (the value the path must hold) or \"count\"", probe.name,
        )  # fmt: skip
