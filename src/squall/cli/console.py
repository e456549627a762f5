"""What a person sees: one progress line per activity, then a verdict that says why."""

from __future__ import annotations

import os
import sys
import time

from squall import _json, _log
from squall.cli.live import Live
from squall.errors import printable
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, HypothesisRun, Journal, Outcome, RunStatus
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["Console"]

_PHASE = {
    "hypothesis-before": "before",
    "hypothesis-during": "during",
    "hypothesis-after": "after",
    "method": "method",
    "rollbacks": "rollback",
}
#: read once: an Enum member read from its class runs Enum code (0.9 k instructions)
_FAILED = RunStatus.FAILED
_COLOURS = {"ok": "32", "FAIL": "31", "MISS": "33", "warn": "33", "dry": "36"}
#: what a progress line's columns show, formatted once (``f"{mark:>4}"``, ``f"{phase:<8}"``)
_MARKS = {mark: mark.rjust(4) for mark in ("ok", "FAIL", "MISS")}
_PHASE_COLUMN = {phase: shown.ljust(8) for phase, shown in _PHASE.items()}
#: the type column of the usual activities, formatted once
_KIND_COLUMN = {kind: kind.ljust(6) for kind in ("probe", "action")}


def _shown(text: object) -> str:
    """``printable(text)``, without the call for the usual name or type (printable text)."""
    return text if type(text) is str and text.isprintable() else printable(text)


class Console:
    """A Listener that writes to stderr, as text or JSON lines."""

    def __init__(
        self,
        *,
        source: str = "",
        json_lines: bool = False,
        quiet: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        self.source = source
        self.stream = stream or sys.stderr
        self.json_lines = json_lines
        self.quiet = quiet
        tty = self.stream.isatty()
        self.colour = tty and "NO_COLOR" not in os.environ and not json_lines
        #: what is running now (not for JSON lines, which consumers parse, nor --quiet)
        self.live = None if quiet or json_lines else Live(self.stream, tty=tty)

    def _line(self, text: str, shown: bool = True) -> None:
        if not shown:  # --quiet: the log file only
            pass
        elif self.live is not None:
            self.live.write(text)
        else:
            self.stream.write(text + "\n")
        for sink in _log.progress_sinks:  # --log-file: the run's story is kept there too
            sink(text, _log.INFO)

    def _paint(self, word: str) -> str:
        code = _COLOURS.get(word)
        return f"\x1b[{code}m{word}\x1b[0m" if self.colour and code else word

    def _emit(self, text: str, shown: bool = True, **record: Any) -> None:
        if self.json_lines:
            record.setdefault("ts", time.time())
            line = _json.dumps(record, default=str)
            if shown:
                self.stream.write(line + "\n")
            for sink in _log.progress_sinks:
                sink(line, _log.INFO)
        else:
            self._line(text, shown)

    def run_started(self, title: str, run_id: str) -> None:
        if not self.quiet or _log.progress_sinks:
            self._emit(
                f"squall: running {show_value(title)} ({self.source}, run {run_id})",
                not self.quiet,
                event="start",
                title=title,
                source=self.source,
                run_id=run_id,
            )

    def phase(self, name: str) -> None:
        pass

    def activity_started(self, activity: Activity, phase: str) -> None:
        if self.live is not None:
            raw = activity.raw
            kind = raw.get("type", "activity")
            self.live.started(id(raw), _PHASE.get(phase, phase), kind, _shown(activity.name))

    def pausing(self, activity: Activity, where: str, seconds: float) -> None:
        if self.live is not None:
            self.live.pausing(id(activity.raw), f"({where} {printable(activity.name)})", seconds)

    def activity_finished(self, run: ActivityRun, phase: str) -> None:
        if self.quiet and not _log.progress_sinks:
            return
        activity = run.activity
        name = activity.get("name", "")
        if self.live is not None:
            self.live.finished(id(activity), name)
        kind = activity.get("type", "activity")
        if run.status is _FAILED:
            mark, detail = "FAIL", run.reason
        elif run.tolerance_met is False:
            mark, detail = "MISS", run.reason or "tolerance not met"
        else:
            mark, detail = "ok", ""
        group = run.squall.get("group") if run.squall else None
        if self.json_lines:
            self._emit(
                "",
                not self.quiet,
                event="activity",
                phase=phase,
                type=kind,
                name=name,
                status=run.status,
                tolerance_met=run.tolerance_met,
                duration=run.duration,
                reason=run.reason,
                **({"group": group} if group else {}),
            )
            return
        # the experiment's and the driver's text: shown, never obeyed by the terminal or CI
        where = f" (in parallel group {printable(group)})" if group else ""
        painted = self._paint(mark).rjust(4) if self.colour else _MARKS[mark]
        shown_phase = _PHASE_COLUMN.get(phase) or f"{phase:<8}"
        shown_kind = (type(kind) is str and _KIND_COLUMN.get(kind)) or _shown(kind).ljust(6)
        text = (
            f"  {painted} {shown_phase} {shown_kind} "
            f"{_shown(name)}{where}  {run.duration * 1000:.1f} ms"
        )
        self._line(f"{text}  {printable(detail)}" if detail else text, not self.quiet)

    def hypothesis_finished(self, phase: str, result: HypothesisRun) -> None:
        pass

    def warning(self, text: str) -> None:
        self._emit(f"  {self._paint('warn')} {printable(text)}", event="warning", message=text)

    def verdict(self, journal: Journal, journal_path: str | None) -> None:
        if self.live is not None:
            self.live.close()
        outcome = journal.decided_outcome or Outcome.BROKEN
        word = {
            Outcome.HELD: "HELD",
            Outcome.DEVIATED: "DEVIATED",
            Outcome.BROKEN: "BROKEN",
            Outcome.NOT_RUN: "NOT RUN",
            Outcome.INTERRUPTED: "INTERRUPTED",
        }[outcome]
        reasons = printable("; ".join(journal.reasons))
        where = f"\n  journal: {journal_path}" if journal_path else ""
        self._emit(
            f"squall: {word} (exit {outcome.exit_code}): {reasons}{where}",
            event="verdict",
            outcome=outcome.value,
            exit_code=outcome.exit_code,
            reasons=journal.reasons,
            status=journal.status.value,
            deviated=journal.deviated,
            journal=journal_path,
        )
