"""squall's verdict on a finished run: outcome (-> exit code) and the reasons for it."""

from __future__ import annotations

from squall.journal.model import (
    ActivityRun,
    HypothesisRun,
    Journal,
    JournalStatus,
    Outcome,
    RunStatus,
)
from squall.show import show_value

__all__ = ["RunFacts", "decide", "journal_lost"]


class RunFacts:
    """What the phase machine concluded, beyond the journal's entries."""

    __slots__ = ("aborted_reason", "deviated", "gate_failed", "method_started", "status")

    def __init__(self) -> None:
        self.gate_failed = False
        self.method_started = False
        self.aborted_reason = ""
        #: the after-check deviated (the journal's ``deviated``)
        self.deviated = False
        #: the run's status when it did not complete normally (failed, aborted)
        self.status: JournalStatus | None = None

    def apply(self, journal: Journal) -> None:
        """Carry the conclusions into the journal (before the rollbacks are played)."""
        journal.deviated = self.deviated
        if self.status is not None:
            journal.status = self.status


def _probe_reason(result: HypothesisRun) -> str:
    for probe in result.probes:
        if not probe.tolerance_met:
            why = probe.reason or "tolerance not met"
            return f"probe {show_value(probe.name)}: {why}"
    return "no probe result"


def _failed(runs: list[ActivityRun | None], label: str) -> list[str]:
    return [
        f"{label} {show_value(r.name)} failed: {r.reason or 'see the journal'}"
        for r in runs
        if r is not None and r.status is RunStatus.FAILED and not r.excused
    ]


def _excused(runs: list[ActivityRun | None]) -> list[str]:
    return [
        f"activity {show_value(r.name)} failed, excused by its failure policy "
        "(on_failure: continue)"
        for r in runs
        if r is not None and r.status is RunStatus.FAILED and r.excused
    ]


def decide(journal: Journal, facts: RunFacts) -> tuple[Outcome, list[str]]:
    """Outcome precedence: interrupted > not run > broken > deviated > held. A run stopped
    by its deadline, or because its event stream could not be written, is broken (exit
    3), not interrupted."""
    if journal.status is JournalStatus.INTERRUPTED:
        interruption = journal.interruption or {}
        reason = str(interruption.get("reason", "interrupted"))
        if interruption.get("kind") in ("deadline", "stream"):  # not a person: broken
            return Outcome.BROKEN, [reason, *_failed(journal.rollbacks, "rollback")]
        return Outcome.INTERRUPTED, [reason]
    if facts.gate_failed and journal.before is not None:
        return Outcome.NOT_RUN, [
            "the steady state did not hold before the method, nothing was injected: "
            + _probe_reason(journal.before)
        ]
    broken = _failed(journal.run, "activity") + _failed(journal.rollbacks, "rollback")
    if facts.aborted_reason:
        broken.insert(0, f"the run aborted: {facts.aborted_reason}")
    if broken:
        return Outcome.BROKEN, broken
    deviations = []
    if journal.deviated and journal.after is not None:
        deviations.append(
            "the steady state deviated after the method: " + _probe_reason(journal.after)
        )
    missed = [h for h in journal.during if not h.steady_state_met]
    if missed:
        deviations.append(
            f"the steady state deviated during the method ({len(missed)} of "
            f"{len(journal.during)} checks): " + _probe_reason(missed[0])
        )
    excused = _excused(journal.run)
    if deviations:
        return Outcome.DEVIATED, deviations + excused
    if journal.before or journal.after or journal.during:
        return Outcome.HELD, ["the steady state held", *excused]
    return Outcome.HELD, ["the method ran (no steady-state hypothesis to check)", *excused]


def journal_lost(journal: Journal, reason: str) -> None:
    """A journal file that could not be written breaks a run that held or deviated (exit
    3, an error of squall's: a CI step must not pass, or report a mere deviation, without
    its journal); an interrupted or not-run verdict stays. The reason comes first when it
    decides the outcome."""
    if journal.decided_outcome in (Outcome.HELD, Outcome.DEVIATED):
        journal.outcome = Outcome.BROKEN
        journal.reasons.insert(0, reason)
    else:
        journal.reasons.append(reason)
