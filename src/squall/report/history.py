"""``squall runs report``: the run history as one page.

Per experiment (runs grouped by the experiment's hash): its verdicts over time (one mark
per run, oldest to newest, each linking to that run's report), the duration trend, and
the last failure and why. Each finished run's own HTML report is written beside the page,
in ``<page>-runs/<run id>.html``; a run's report is written once (a finished run does not
change), so the page is quick to make again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from squall.journal.history import RunRecord

__all__ = ["ExperimentHistory", "HistoryRun", "history_runs", "render_history", "write_history"]

#: the verdict marks and the duration trend (SVG user units)
MARK = 14.0
TREND_WIDTH = 360.0
TREND_HEIGHT = 40.0


@dataclass(slots=True)
class HistoryRun:
    run_id: str
    started: str
    state: str  # an outcome, or running / stopped
    exit_code: int | None
    duration: float | None
    reasons: list[str]
    link: str  # the run's report, relative to the page ("" when it has none)


@dataclass(slots=True)
class ExperimentHistory:
    title: str
    digest: str
    runs: list[HistoryRun] = field(default_factory=list)  # oldest first
    source: str = ""  # the file (or URL) its newest run read, which tells apart cards of one title

    @property
    def last(self) -> HistoryRun:
        return self.runs[-1]

    @property
    def last_failure(self) -> HistoryRun | None:
        failed = [r for r in self.runs if r.state not in ("held", "running")]
        return failed[-1] if failed else None

    @property
    def held_share(self) -> float:
        done = [r for r in self.runs if r.state != "running"]
        return sum(r.state == "held" for r in done) / len(done) if done else 0.0

    @property
    def marks(self) -> list[tuple[float, HistoryRun]]:
        return [(i * (MARK + 2), run) for i, run in enumerate(self.runs)]

    @property
    def trend(self) -> str:
        """The durations as an SVG polyline's points (empty with fewer than two)."""
        timed = [r.duration for r in self.runs if r.duration is not None]
        if len(timed) < 2:
            return ""
        top = max(timed) or 1.0
        step = TREND_WIDTH / (len(timed) - 1)
        return " ".join(
            f"{i * step:.1f},{TREND_HEIGHT - 2 - (d / top) * (TREND_HEIGHT - 6):.1f}"
            for i, d in enumerate(timed)
        )

    @property
    def slowest(self) -> float:
        return max((r.duration or 0.0 for r in self.runs), default=0.0)


def _reasons(record: RunRecord) -> list[str]:
    try:
        data = record.journal_data() or {}
    except ValueError:
        return []
    squall = data.get("squall") if isinstance(data, dict) else None
    reasons = squall.get("reasons") if isinstance(squall, dict) else None
    return [str(r) for r in reasons] if isinstance(reasons, list) else []


def _shown(source: str | None) -> str:
    """A run's source as the page shows it: a URL's credentials masked (the history may
    hold them as the command line gave them)."""
    from squall.masking import redact_url

    return redact_url(source) if source else ""


def history_runs(
    records: Iterable[RunRecord],
    state: Callable[[RunRecord], str],
    link: Callable[[RunRecord], str],
) -> list[ExperimentHistory]:
    """Group runs (with their journals) by experiment, each oldest first; the experiment
    whose last run is newest comes first."""
    groups: dict[str, ExperimentHistory] = {}
    for record in sorted(records, key=lambda r: (r.started_at, r.run_id)):
        group = groups.setdefault(
            record.experiment_hash,
            ExperimentHistory(title=record.title, digest=record.experiment_hash),
        )
        group.title = record.title or group.title
        group.source = _shown(record.source) or group.source
        group.runs.append(
            HistoryRun(
                run_id=record.run_id,
                started=record.started_at,
                state=state(record),
                exit_code=record.exit_code,
                duration=record.duration if record.finished else None,
                reasons=_reasons(record),
                link=link(record),
            )
        )
    return sorted(groups.values(), key=lambda g: g.last.started, reverse=True)


def render_history(experiments: list[ExperimentHistory], where: str, limit: int) -> str:
    from squall.report.html import environment

    template = environment().get_template("history.html.j2")
    runs = sum(len(e.runs) for e in experiments)
    return str(
        template.render(
            experiments=experiments,
            where=where,
            runs=runs,
            limit=limit,
            mark=MARK,
            trend_width=TREND_WIDTH,
            trend_height=TREND_HEIGHT,
        )
    )


def write_run_report(record: RunRecord, path: str) -> bool:
    """The run's own HTML report at ``path`` unless it is there already; False when the
    run has no stored journal (not finished), or only the reasons of a run that ended
    without one (a Temporal run its worker refused, or that Temporal ended: there is no
    journal to report, only those reasons, which the page shows)."""
    if os.path.exists(path):
        return True
    if not record.journal:
        return False
    from squall.errors import InputError
    from squall.report import report_from_journal, write_report

    source = record.journal_path or f"run {record.run_id}"
    try:
        report = report_from_journal(json.loads(record.journal), source)
    except (ValueError, InputError):
        return False
    write_report([report], "html", path)
    return True


def write_history(
    records: list[RunRecord],
    output: str,
    state: Callable[[RunRecord], str],
    where: str,
    limit: int,
) -> tuple[int, str]:
    """Write the page at ``output`` and each finished run's report beside it; returns the
    number of run reports and their folder."""
    folder = os.path.splitext(output)[0] + "-runs"
    written = 0

    def link(record: RunRecord) -> str:
        nonlocal written
        path = os.path.join(folder, f"{record.run_id}.html")
        if not write_run_report(record, path):
            return ""
        written += 1
        return f"{os.path.basename(folder)}/{record.run_id}.html"

    from squall.report import write_text

    write_text(output, render_history(history_runs(records, state, link), where, limit))
    return written, folder
