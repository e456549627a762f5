"""What every format says first: the verdict of each run and why, as plain data.

``--format json`` prints this document; Markdown and HTML lay it out.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from squall.report.model import Entry, RunReport
from squall.show import counted

__all__ = ["LABELS", "failing", "overview", "run_summary", "summary_document"]

#: the verdict as a person reads it
LABELS = {
    "held": "held",
    "deviated": "deviated",
    "broken": "broken",
    "not-run": "not run",
    "interrupted": "interrupted",
}


def failing(report: RunReport) -> list[Entry]:
    """The entries to look at: probes out of tolerance, failed or cancelled activities.
    Of the checks during the method, only each probe's first miss (the reasons count
    them all)."""
    seen: set[str] = set()
    found = []
    for entry in report.entries:
        if not entry.failed:
            continue
        if entry.phase == "during":
            if entry.name in seen:
                continue
            seen.add(entry.name)
        found.append(entry)
    return found


def overview(reports: list[RunReport]) -> str:
    """One line: how many runs and their verdicts (``3 runs: 2 held, 1 deviated``)."""
    counts = Counter(r.outcome for r in reports)
    parts = [f"{counts[o]} {LABELS[o]}" for o in LABELS if counts[o]]
    return f"{counted(len(reports), 'run')}: {', '.join(parts)}"


def _entry(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "phase": entry.phase,
        "name": entry.name,
        "type": entry.kind,
        "status": entry.status,
        "start": entry.start,
        "duration": entry.duration,
    }
    if entry.tolerance_met is not None:
        data["tolerance_met"] = entry.tolerance_met
        data["expected"] = entry.tolerance
    if entry.failed:
        data["actual"] = entry.actual
        data["reason"] = entry.reason
    if entry.error:
        data["error"] = entry.error
    if entry.notes:
        data["notes"] = entry.notes
    if entry.worker:
        data["worker"] = entry.worker
    if entry.group:
        data["group"] = entry.group
    if entry.background:
        data["background"] = True
    if entry.check:
        data["check"] = entry.check
    return data


def run_summary(report: RunReport) -> dict[str, Any]:
    counts = Counter(e.status for e in [*report.method, *report.rollbacks])
    return {
        "title": report.title,
        "journal": report.source,
        "origin": report.origin,
        "outcome": report.outcome,
        "exit_code": report.exit_code,
        "reasons": report.reasons,
        "run_id": report.run_id or None,
        "experiment_digest": report.digest,
        "squall_version": report.squall_version or None,
        "chaoslib_version": report.chaoslib_version or None,
        "node": report.node,
        "start": report.start,
        "end": report.end,
        "duration": report.duration,
        "deviation_at": report.deviation_at,
        "activities": dict(sorted(counts.items())),
        "entries": [_entry(e) for e in report.entries],
    }


def summary_document(reports: list[RunReport]) -> dict[str, Any]:
    """The JSON report: an overview, then each run."""
    return {
        "summary": overview(reports),
        "outcomes": dict(Counter(r.outcome for r in reports)),
        "runs": [run_summary(r) for r in reports],
    }
