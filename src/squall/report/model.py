"""What a report shows of one run: a journal (squall's or the Chaos Toolkit's) read into
typed rows, with times as offsets from the start of the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from squall.experiment.tolerance import miss_reason
from squall.show import show_value

__all__ = ["Entry", "Group", "HypothesisCheck", "RunReport"]


@dataclass(slots=True)
class Entry:
    """One activity run (a hypothesis probe, a method activity or a rollback)."""

    phase: str  # before, during, after, method, rollbacks
    name: str
    kind: str  # probe, action (or "?" when the journal does not say)
    status: str  # succeeded, failed, cancelled, excused, not-met
    start: str
    end: str
    duration: float
    #: seconds from the start of the run (None: the journal has no usable time)
    offset: float | None
    provider: str
    arguments: Any
    output: Any
    error: str  # the run's words for the failure, else the exception's last line ("": none)
    traceback: str
    tolerance: Any = None
    tolerance_met: bool | None = None
    background: bool = False
    group: str = ""
    pause_before: float = 0.0
    pause_after: float = 0.0
    controls: list[str] = field(default_factory=list)
    check: int = 0  # the number of the hypothesis check during the method (1-based)
    #: why the run said its tolerance was missed (squall journals: ``squall.reason``)
    said: str = ""
    #: what else the console warned of: played again after its worker was lost, calls
    #: retried (squall journals: ``squall.replayed``, ``squall.attempts``)
    notes: list[str] = field(default_factory=list)
    #: the Temporal worker that played it (squall journals: ``squall.worker``; "" for a
    #: local run, where everything ran on the journal's node)
    worker: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "cancelled", "not-met")

    @property
    def expected(self) -> str:
        return short(self.tolerance)

    @property
    def actual(self) -> str:
        return self.error if self.error else short(self.output)

    @property
    def reason(self) -> str:
        """Why it is a row to look at, in the words the run's console used: the error of a
        failed activity, the reason a probe missed its tolerance (the run's own words, kept
        in the journal; for a journal without them, squall.experiment.tolerance.miss_reason
        works them out again), else ""."""
        if self.error:
            return self.error
        if self.tolerance_met is False:
            return self.said or miss_reason(self.tolerance, self.output)
        return self.status if self.failed else ""


@dataclass(slots=True)
class HypothesisCheck:
    phase: str  # before, during, after
    met: bool | None
    probes: list[Entry]


@dataclass(slots=True)
class Group:
    """A parallel group (squall journals only)."""

    name: str
    phase: str
    join: str
    status: str
    offset: float | None
    duration: float
    activities: list[str]


@dataclass(slots=True)
class RunReport:
    """One run, as every report format shows it."""

    source: str  # the journal's path
    origin: str  # "squall" or "chaostoolkit"
    title: str
    description: str
    outcome: str  # held, deviated, broken, not-run, interrupted
    exit_code: int
    reasons: list[str]
    status: str  # the journal's own status (completed, failed, aborted, interrupted)
    deviated: bool
    squall_version: str
    chaoslib_version: str
    node: str
    platform: str
    run_id: str
    digest: str
    start: str
    end: str
    duration: float
    before: HypothesisCheck | None
    after: HypothesisCheck | None
    during: list[HypothesisCheck]
    method: list[Entry]
    rollbacks: list[Entry]
    groups: list[Group]
    #: the method as declared (names), for what did not run
    declared: list[tuple[str, str]]
    controls: list[str]
    #: the digest is of the journal's copy of the experiment (no run history hash in it)
    digest_journaled: bool = False
    #: seconds from the start when the deviation was first seen (None: none seen)
    deviation_at: float | None = None
    interruption: str = ""

    @property
    def probes(self) -> list[Entry]:
        """Every hypothesis probe that ran, in order."""
        found: list[Entry] = []
        for check in self.checks:
            found += check.probes
        return found

    @property
    def checks(self) -> list[HypothesisCheck]:
        found = [self.before] if self.before else []
        found += self.during
        return found + ([self.after] if self.after else [])

    @property
    def entries(self) -> list[Entry]:
        """Everything that ran, in phase order."""
        before = self.before.probes if self.before else []
        after = self.after.probes if self.after else []
        during = [p for check in self.during for p in check.probes]
        return [*before, *self.method, *during, *after, *self.rollbacks]

    @property
    def missed(self) -> list[Entry]:
        """The probes that were not within their tolerance."""
        return [p for p in self.probes if p.tolerance_met is False]


def short(value: Any, width: int = 200) -> str:
    """A value as one short line of JSON text (squall's one spelling of a value)."""
    return show_value(value, width)
