"""The report ``squall run --output agent`` prints: one JSON document for a program.

The Chaos Toolkit's ``chaos run --output agent`` (1.21) prints one JSON document on
stdout once the run is over, so a CI job or an agent can branch on a few stable fields
(``outcome``, ``conclusive``, ``warnings``) rather than read logs. squall prints the same
document, schema ``chaostoolkit/agent/run/v1``, derived the same way from the journal
(which has the reference's shape), with two differences: ``exit_code`` is squall's
(docs/reference/exit-codes), and a ``squall`` key adds squall's own verdict (its
outcome, the reasons it printed, the run's id). Everything here is a pure function of
the journal; the caller masks it (it is built from the masked journal).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from squall.show import bounded_output, last_line

__all__ = ["RUN_SCHEMA", "classify", "run_error_report", "run_report"]

RUN_SCHEMA = "chaostoolkit/agent/run/v1"

#: warnings that keep the outcome from answering the question
_INCONCLUSIVE = frozenset({"dry-run", "no-steady-state-hypothesis", "method-activity-failed"})
_SWALLOWED = "chaoslib.exceptions.ActivityFailed: chaoslib.exceptions.InterruptExecution"

Journal = Mapping[str, Any]


def run_report(
    journal: Journal,
    *,
    source: str,
    journal_path: str | None,
    exit_code: int,
    events_path: str | None = None,
    squall: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of a run that ended (whatever its outcome) with ``journal``."""
    experiment = _mapping(journal.get("experiment"))
    before, during, after = _states(journal)
    outcome = classify(journal)
    warnings = _warnings(journal, experiment, outcome)
    codes = {w["code"] for w in warnings}
    return {
        "schema": RUN_SCHEMA,
        "command": "run",
        "outcome": outcome,
        "conclusive": outcome in ("passed", "deviated") and not codes & _INCONCLUSIVE,
        "verdict": _verdict(outcome, journal),
        "exit_code": exit_code,
        "source": _location(source),
        "journal_path": os.path.abspath(journal_path) if journal_path else None,
        "events_path": os.path.abspath(events_path) if events_path else None,
        "experiment": {"title": experiment.get("title"), "dry": experiment.get("dry")},
        "journal": {
            "status": journal.get("status"),
            "deviated": journal.get("deviated", False),
            "start": journal.get("start"),
            "end": journal.get("end"),
            "duration": journal.get("duration"),
        },
        "steady_state": {
            "before": _state_detail(before),
            "during": _during_detail(during),
            "after": _state_detail(after),
        },
        "method": {"count": len(_list(journal.get("run"))), "failed": _failed(journal, "run")},
        "rollbacks": {
            "declared": len(_list(experiment.get("rollbacks"))),
            "played": len(_list(journal.get("rollbacks"))),
            "failed": _failed(journal, "rollbacks"),
        },
        "interrupted_by": _interrupted_by(journal),
        "warnings": warnings,
        "error": None,
        "squall": dict(squall or {}),
    }


def run_error_report(
    stage: str, error_type: str, message: str, *, source: str, exit_code: int
) -> dict[str, Any]:
    """The report of a run that could not start (``stage``: load, validation, runtime)."""
    empty = dict.fromkeys(
        ("journal_path", "events_path", "experiment", "journal", "steady_state", "method")
    )
    return {
        "schema": RUN_SCHEMA,
        "command": "run",
        "outcome": "error",
        "conclusive": False,
        "verdict": f"The experiment could not be run: {stage} failed.",
        "exit_code": exit_code,
        "source": _location(source),
        **empty,
        "rollbacks": None,
        "interrupted_by": None,
        "warnings": [],
        "error": {"stage": stage, "type": error_type, "message": message},
        "squall": {},
    }


def classify(journal: Journal) -> str:
    """The outcome, the reference's precedence: interrupted, aborted, probe-error,
    baseline-not-met, deviated, passed."""
    status = journal.get("status")
    if status == "interrupted" or _swallowed_interruption(journal):
        return "interrupted"
    if status == "aborted":
        return "aborted"
    before, during, after = _states(journal)
    for state in [before, *during, after]:
        if state and any(_get(p, "status") != "succeeded" for p in _list(state.get("probes"))):
            return "probe-error"
    if before and before.get("steady_state_met") is False:
        return "baseline-not-met"
    if _deviated_phases(journal):
        return "deviated"
    return "passed"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def _get(value: Any, key: str, default: Any = None) -> Any:
    return value.get(key, default) if isinstance(value, Mapping) else default


def _states(journal: Journal) -> tuple[Mapping[str, Any] | None, list[Any], Any]:
    states = _mapping(journal.get("steady_states"))
    during = [s for s in _list(states.get("during")) if isinstance(s, Mapping)]
    before, after = states.get("before"), states.get("after")
    return (
        before if isinstance(before, Mapping) else None,
        during,
        after if isinstance(after, Mapping) else None,
    )


def _deviated_phases(journal: Journal) -> list[str]:
    _, during, after = _states(journal)
    phases = []
    if any(s.get("steady_state_met") is False for s in during):
        phases.append("during")
    if after and after.get("steady_state_met") is False:
        phases.append("after")
    return phases


def _verdict(outcome: str, journal: Journal) -> str:
    before, during, after = _states(journal)
    if outcome == "passed":
        phases = [n for n, s in (("before", before), ("during", during), ("after", after)) if s]
        if not phases:
            return "The run completed without evaluating a steady state."
        return f"The steady state held {_join(phases)} the method."
    if outcome == "deviated":
        deviated = _join(_deviated_phases(journal))
        if not before:
            return (
                f"The steady state did not hold {deviated} the method, no baseline was "
                "evaluated before it."
            )
        return f"The steady state held before the method but not {deviated} it."
    fixed = {
        "baseline-not-met": "The steady state did not hold before the method, nothing was "
        "injected.",
        "probe-error": "A steady-state probe could not be executed, its tolerance could "
        "not be evaluated.",
        "aborted": "The method ran into an unexpected error, the run was aborted.",
    }
    if outcome in fixed:
        return fixed[outcome]
    by = _interrupted_by(journal)
    if by and by["kind"] in ("safeguard", "control"):
        reason = "before it completed." if by["kind"] == "safeguard" else f": {by['reason']}"
        sep = " " if by["kind"] == "safeguard" else ""
        return f"The run was interrupted by the {by['kind']} '{by['name']}'{sep}{reason}"
    if by:
        return f"The run was interrupted before it completed: {by['reason']}"
    return "The run was interrupted before it completed."


_MESSAGES = {
    "dry-run": "Activities were not executed (dry run: {dry}).",
    "no-steady-state-hypothesis": "The experiment has no steady-state probes, nothing was judged.",
    "method-activity-failed": "Method activities failed, the perturbation may not have been "
    "applied: {names}.",
    "rollbacks-not-played": "Only {played} of {declared} declared rollbacks were played, the "
    "system may not be restored.",
    "rollback-failed": "Rollbacks failed, the system may not be restored: {names}.",
}


def _warnings(
    journal: Journal, experiment: Mapping[str, Any], outcome: str
) -> list[dict[str, Any]]:
    warnings: list[dict[str, Any]] = []

    def add(code: str, **details: Any) -> None:
        warnings.append({"code": code, "message": _MESSAGES[code].format(**details)})

    if experiment.get("dry"):
        add("dry-run", dry=experiment.get("dry"))
    if not _list(_get(experiment.get("steady-state-hypothesis"), "probes")):
        add("no-steady-state-hypothesis")
    failed = [str(r["name"]) for r in _failed(journal, "run")]
    if failed:
        add("method-activity-failed", names=", ".join(failed))
    declared = len(_list(experiment.get("rollbacks")))
    played = len(_list(journal.get("rollbacks")))
    # nothing was injected when the steady state did not hold before the method: squall
    # owes no rollback then (docs/compatibility.md, gate-not-met)
    if played < declared and outcome != "baseline-not-met":
        add("rollbacks-not-played", played=played, declared=declared)
    failed = [str(r["name"]) for r in _failed(journal, "rollbacks")]
    if failed:
        add("rollback-failed", names=", ".join(failed))
    return warnings


def _interrupted_by(journal: Journal) -> dict[str, Any] | None:
    """What interrupted the run, when the journal tells (a safeguard, a control or a
    signal's ``interruption``, an interruption an older chaoslib turned into a failure)."""
    swallowed = _swallowed_interruption(journal)
    if journal.get("status") != "interrupted" and not swallowed:
        return None
    safeguards = _mapping(journal.get("safeguards"))
    name = safeguards.get("triggered_by")
    if not name:
        interruption = journal.get("interruption")
        if isinstance(interruption, Mapping) and interruption.get("reason"):
            return {
                "kind": interruption.get("kind") or "control",
                "name": interruption.get("name"),
                "reason": interruption["reason"],
            }
        return {"kind": "signal", "name": None, "reason": swallowed} if swallowed else None
    run = _mapping(safeguards.get("run"))
    detail = {
        "kind": "safeguard",
        "name": name,
        "status": run.get("status"),
        "tolerance": _get(run.get("activity"), "tolerance"),
        **bounded_output(run.get("output")),
    }
    if run.get("exception"):
        detail["error"] = last_line(run["exception"])
    return detail


def _swallowed_interruption(journal: Journal) -> str | None:
    before, during, after = _states(journal)
    runs = [*_list(journal.get("run")), *_list(journal.get("rollbacks"))]
    for state in [before, *during, after]:
        if state:
            runs.extend(_list(state.get("probes")))
    for run in runs:
        for line in _list(_get(run, "exception")):
            text = str(line).strip()
            if text.startswith(_SWALLOWED):
                return text[len(_SWALLOWED) :].lstrip(": ") or "interrupted"
    return None


def _state_detail(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not state:
        return None
    return {
        "met": state.get("steady_state_met"),
        "probes": [_probe_detail(p) for p in _list(state.get("probes"))],
    }


def _probe_detail(probe: Any) -> dict[str, Any]:
    activity = _mapping(_get(probe, "activity"))
    detail = {
        "name": activity.get("name"),
        "status": _get(probe, "status"),
        "tolerance_met": _get(probe, "tolerance_met"),
        "tolerance": activity.get("tolerance"),
        **bounded_output(_get(probe, "output")),
    }
    if _get(probe, "exception"):
        detail["error"] = last_line(probe["exception"])
    return detail


def _during_detail(during: list[Any]) -> dict[str, Any]:
    unmet = [(i, s) for i, s in enumerate(during, start=1) if s.get("steady_state_met") is False]
    probes = sorted(
        {
            str(_get(_get(p, "activity"), "name"))
            for _, s in unmet
            for p in _list(s.get("probes"))
            if _get(p, "tolerance_met") is False
        }
    )
    return {
        "iterations": len(during),
        "unmet": len(unmet),
        "first_unmet_iteration": unmet[0][0] if unmet else None,
        "unmet_probes": probes,
    }


def _failed(journal: Journal, key: str) -> list[dict[str, Any]]:
    return [
        {
            "name": _get(_get(run, "activity"), "name"),
            "error": last_line(_get(run, "exception") or []),
        }
        for run in _list(journal.get(key))
        if _get(run, "status") == "failed"
    ]


def _join(phases: list[str]) -> str:
    return phases[0] if len(phases) == 1 else ", ".join(phases[:-1]) + " and " + phases[-1]


def _location(source: str) -> str:
    return source if "://" in source else os.path.abspath(source)
