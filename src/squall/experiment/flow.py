"""squall's per-activity control flow (additions to the Chaos Toolkit format): ``retry``,
``wait_until``, ``isolation`` and ``on_failure`` (and ``runtime.on_failure``).

None of these keys exists in the Chaos Toolkit; an experiment without them keeps its exact
meaning. They are parsed here, next to (not inside) the activity parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from squall._record import Record
from squall.experiment._reader import Reader, pointer_join
from squall.show import counted, kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "NO_FLOW",
    "FailurePolicy",
    "Flow",
    "Isolation",
    "Retry",
    "WaitUntil",
    "parse_failure_policy",
    "parse_flow",
]

FLOW_KEYS = ("retry", "wait_until", "isolation", "on_failure")
_FLOW_KEYS = frozenset(FLOW_KEYS)


class FailurePolicy(StrEnum):
    """What a failed method activity does to the run (absent: the Chaos Toolkit's flow, go
    on with the method, and squall's verdict, the run is broken)."""

    CONTINUE = "continue"  # go on; the failure is excused (the run is not broken by it)
    ABORT = "abort"  # stop the method; skip the hypothesis after; rollbacks per strategy


class Isolation(StrEnum):
    PROCESS = "process"  # a python activity runs in a child process (killed on timeout)


class Retry(Record):
    """Run a failed activity again: ``attempts`` in all, waiting ``delay`` seconds before
    the second, multiplied by ``backoff`` each time, never more than ``max_delay``."""

    __slots__ = ("attempts", "backoff", "delay", "max_delay")

    def __init__(
        self, *, attempts: int, delay: float = 0.0, backoff: float = 1.0, max_delay: float | None
    ) -> None:
        self.attempts = attempts
        self.delay = delay
        self.backoff = backoff
        self.max_delay = max_delay

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2, 3, ...)."""
        seconds = self.delay * self.backoff ** (attempt - 2)
        return min(seconds, self.max_delay) if self.max_delay is not None else seconds


class WaitUntil(Record):
    """Poll a probe every ``interval`` seconds until its tolerance holds, at most
    ``timeout`` seconds."""

    __slots__ = ("interval", "timeout")

    def __init__(self, *, timeout: float, interval: float = 1.0) -> None:
        self.timeout = timeout
        self.interval = interval


class Flow(Record):
    """The control-flow keys of one activity (all optional)."""

    __slots__ = ("isolation", "on_failure", "retry", "wait_until")

    def __init__(
        self,
        *,
        retry: Retry | None = None,
        wait_until: WaitUntil | None = None,
        isolation: Isolation | None = None,
        on_failure: FailurePolicy | None = None,
    ) -> None:
        self.retry = retry
        self.wait_until = wait_until
        self.isolation = isolation
        self.on_failure = on_failure

    def labels(self) -> list[str]:
        """Short descriptions for ``squall run --plan``."""
        out = []
        if self.retry is not None:
            r = self.retry
            text = f"retry {counted(r.attempts, 'attempt')}, delay {r.delay:g}s"
            if r.backoff != 1.0:
                text += f" x{r.backoff:g}"
            if r.max_delay is not None:
                text += f" (max {r.max_delay:g}s)"
            out.append(text)
        if self.wait_until is not None:
            w = self.wait_until
            out.append(f"wait until tolerance holds, {w.timeout:g}s, every {w.interval:g}s")
        if self.isolation is not None:
            out.append(f"isolation {self.isolation.value}")
        if self.on_failure is not None:
            out.append(f"on_failure {self.on_failure.value}")
        return out


NO_FLOW = Flow()


def parse_flow(
    r: Reader,
    d: Mapping[str, Any],
    pointer: str,
    *,
    provider_type: str | None,
    has_tolerance: bool,
    in_hypothesis: bool,
) -> Flow:
    """The control-flow keys of an activity mapping (problems go to ``r``)."""
    if _FLOW_KEYS.isdisjoint(d) or not any(d.get(key) is not None for key in FLOW_KEYS):
        return NO_FLOW
    retry = _retry(r, d.get("retry"), pointer_join(pointer, "retry"))
    wait_until = _wait_until(r, d.get("wait_until"), pointer_join(pointer, "wait_until"))
    if wait_until is not None and not has_tolerance:
        r.add(
            pointer_join(pointer, "wait_until"),
            '"wait_until" polls until the probe\'s tolerance holds, but this activity has no '
            '"tolerance"',
            'add the value to wait for, e.g. "tolerance": true',
        )
    if wait_until is not None and retry is not None:
        r.add(
            pointer_join(pointer, "retry"),
            '"retry" and "wait_until" cannot be combined: wait_until already polls again '
            "after a failed call",
            "keep one of them",
        )
    isolation = _isolation(r, d.get("isolation"), pointer, provider_type)
    on_failure = parse_failure_policy(r, d.get("on_failure"), pointer_join(pointer, "on_failure"))
    if on_failure is not None and in_hypothesis:
        r.add(
            pointer_join(pointer, "on_failure"),
            '"on_failure" applies to method activities; a failed hypothesis probe means the '
            "steady state was not met",
            "remove it here (use runtime.on_failure or set it on the method activity)",
        )
    return Flow(retry=retry, wait_until=wait_until, isolation=isolation, on_failure=on_failure)


def parse_failure_policy(r: Reader, value: Any, pointer: str) -> FailurePolicy | None:
    if value is None:
        return None
    try:
        return FailurePolicy(value)
    except ValueError:
        r.add(
            pointer,
            f"unknown failure policy {show_value(value)}",
            'use "continue" (go on, the failure is excused) or "abort" (stop the method)',
        )
        return None


_KNOWN = {"retry": Retry.__slots__, "wait_until": WaitUntil.__slots__}


def _object(r: Reader, value: Any, pointer: str, what: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    d = r.mapping(value, pointer, what)
    if d is None:
        return None
    known = _KNOWN[what.strip('"')]
    for key in d:
        if key not in known:
            r.add(
                pointer_join(pointer, key),
                f"unknown key {show_value(key)} in {what}",
                "known keys: " + ", ".join(sorted(known)),
            )
    return d


def _seconds(r: Reader, d: Mapping[str, Any], key: str, pointer: str) -> float | None:
    value = r.number(d, key, pointer)
    return value if isinstance(value, float) else None


def _retry(r: Reader, value: Any, pointer: str) -> Retry | None:
    d = _object(r, value, pointer, '"retry"')
    if d is None:
        return None
    attempts = d.get("attempts")
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        r.add(
            pointer_join(pointer, "attempts") if "attempts" in d else pointer,
            '"retry" requires "attempts", a whole number of 1 or more (the first call counts), '
            f"found {kind_of(attempts) if 'attempts' in d else 'none'}",
            'e.g. "retry": {"attempts": 3, "delay": 0.5, "backoff": 2}',
        )
        return None
    backoff = _seconds(r, d, "backoff", pointer)
    if backoff is not None and backoff < 1:
        r.add(pointer_join(pointer, "backoff"), f'"backoff" must be 1 or more, found {backoff:g}')
        backoff = None
    return Retry(
        attempts=attempts,
        delay=_seconds(r, d, "delay", pointer) or 0.0,
        backoff=backoff if backoff is not None else 1.0,
        max_delay=_seconds(r, d, "max_delay", pointer),
    )


def _wait_until(r: Reader, value: Any, pointer: str) -> WaitUntil | None:
    d = _object(r, value, pointer, '"wait_until"')
    if d is None:
        return None
    timeout = _seconds(r, d, "timeout", pointer)
    if timeout is None or timeout <= 0:
        if timeout is not None or d.get("timeout") is None:  # else: already reported
            r.add(
                pointer_join(pointer, "timeout") if "timeout" in d else pointer,
                '"wait_until" requires "timeout", the seconds to wait for (more than 0)',
                'e.g. "wait_until": {"timeout": 30, "interval": 1}',
            )
        return None
    interval = _seconds(r, d, "interval", pointer)
    if interval is not None and interval <= 0:
        r.add(pointer_join(pointer, "interval"), '"interval" must be more than 0 seconds')
        interval = None
    return WaitUntil(timeout=timeout, interval=interval if interval is not None else 1.0)


def _isolation(r: Reader, value: Any, pointer: str, provider_type: str | None) -> Isolation | None:
    if value is None:
        return None
    where = pointer_join(pointer, "isolation")
    try:
        isolation = Isolation(value)
    except ValueError:
        r.add(where, f"unknown isolation {show_value(value)}", 'use "process" (or leave it out)')
        return None
    if provider_type is not None and provider_type != "python":
        r.add(
            where,
            f'"isolation" applies to python activities, this one is {show_value(provider_type)}',
            'a process activity already runs in its own process; remove "isolation"',
        )
        return None
    return isolation
