"""Read a journal file, squall's or the Chaos Toolkit's, into a RunReport.

A journal is untrusted text: every field is checked for its type and a malformed one gets
a neutral default, so a report is always written; a file that is not a journal at all is
bad input (exit 2) with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from squall.errors import InputError
from squall.experiment import read_text
from squall.experiment.limits import MAX_INT_DIGITS
from squall.journal.limits import journal_safe
from squall.masking import mask_value
from squall.report.model import Entry, Group, HypothesisCheck, RunReport, short
from squall.show import int_note

__all__ = ["journal_from_text", "read_journal", "report_from_journal", "report_from_text"]

_OUTCOMES = {"held": 0, "deviated": 1, "broken": 3, "not-run": 4, "interrupted": 130}


def read_journal(path: str) -> RunReport:
    """Read and interpret one journal file.

    Raises:
        InputError: the file cannot be read, is larger than the document limit (a journal
            is read like any document: SQUALL_LIMIT_DOCUMENT_BYTES), is not UTF-8 or
            JSON, or is not a journal.
    """
    return report_from_text(read_text(path, kind="journal"), path)


def report_from_text(text: str, source: str = "journal") -> RunReport:
    """Interpret a journal's JSON text: a file's, or the text a run just wrote (``squall
    run --report`` makes its reports from that, never from reading the file back).

    Raises:
        InputError: not JSON, or not a journal.
    """
    return report_from_journal(journal_from_text(text, source), source)


def journal_from_text(text: str, source: str = "journal") -> Any:
    """A journal's JSON text, parsed as a report reads it (what Python cannot print made
    printable), not yet checked to be a journal.

    Raises:
        InputError: not JSON (located), or nested too deeply.
    """
    try:
        # what the JSON holds that Python cannot print (an integer of over 4300 digits,
        # a lone surrogate escape, nesting deeper than the templates recurse) is made
        # printable first, as squall's own journal writer does
        data = journal_safe(json.loads(text, parse_int=_integer))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}:{exc.lineno}:{exc.colno}: not a journal (not JSON: {exc.msg})"
        ) from None
    except RecursionError:
        raise InputError(f"{source}: not a journal (JSON nested too deeply)") from None
    return data


def _integer(digits: str) -> int | str:
    if len(digits.lstrip("-")) <= MAX_INT_DIGITS:
        return int(digits)  # then journal_safe applies the one rule (show.INT_BITS)
    return int_note(digits)


def report_from_journal(data: Any, source: str = "journal") -> RunReport:
    """Interpret a journal already parsed.

    Raises:
        InputError: it is not a journal (no ``experiment`` mapping and ``run`` list).
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: not a journal (a JSON object is expected)")
    # the journal is masked already; a report written by the run that made it also masks
    # every secret this process resolved (squall.masking: every sink goes through it)
    data = mask_value(data)
    experiment = data.get("experiment")
    if not isinstance(experiment, Mapping) or not isinstance(data.get("run", []), list):
        raise InputError(
            f"{source}: not a journal (no `experiment` object; is it an experiment file?)"
        )
    clock = _Clock(_text(data.get("start")), _mapping(experiment.get("configuration")))
    states = _mapping(data.get("steady_states"))
    before = _check(states.get("before"), "before", clock)
    after = _check(states.get("after"), "after", clock)
    during = [
        _check(item, "during", clock, number)
        for number, item in enumerate(_list(states.get("during")), 1)
    ]
    squall = _mapping(data.get("squall"))
    report = RunReport(
        source=source,
        origin="squall" if squall else "chaostoolkit",
        title=_text(experiment.get("title")) or "(untitled experiment)",
        description=_text(experiment.get("description")),
        outcome="",
        exit_code=0,
        reasons=[],
        status=_text(data.get("status")),
        deviated=data.get("deviated") is True,
        squall_version=_text(squall.get("version")),
        chaoslib_version=_text(data.get("chaoslib-version")),
        node=_text(data.get("node")),
        platform=_text(data.get("platform")),
        run_id=_text(squall.get("run_id")),
        digest=_text(squall.get("experiment_hash")) or _digest(experiment),
        digest_journaled=not squall.get("experiment_hash"),
        start=_text(data.get("start")),
        end=_text(data.get("end")),
        duration=_number(data.get("duration")),
        before=before,
        after=after,
        during=[c for c in during if c is not None],
        method=[_entry(e, "method", clock) for e in _list(data.get("run")) if _is_map(e)],
        rollbacks=[
            _entry(e, "rollbacks", clock) for e in _list(data.get("rollbacks")) if _is_map(e)
        ],
        groups=[_group(g, clock) for g in _list(squall.get("groups")) if _is_map(g)],
        declared=_declared(experiment.get("method")),
        controls=_names(experiment.get("controls")),
        interruption=_text(_mapping(data.get("interruption")).get("reason")),
    )
    report.deviation_at = _deviation_at(report)
    _verdict(report, data, squall)
    return report


def _verdict(report: RunReport, data: dict[str, Any], squall: Mapping[str, Any]) -> None:
    """squall's own verdict when the journal has one; otherwise (a Chaos Toolkit journal, or
    a squall run that never finished) the same rules as squall's engine, applied to it."""
    outcome = squall.get("outcome")
    if isinstance(outcome, str) and outcome in _OUTCOMES:
        report.outcome, report.exit_code = outcome, _OUTCOMES[outcome]
        report.reasons = [str(r) for r in _list(squall.get("reasons"))]
        return
    from squall.engine.verdict import RunFacts, decide
    from squall.journal.model import Outcome

    journal = _journal(data, report)
    facts = RunFacts()
    facts.gate_failed = bool(report.before and report.before.met is False and not report.method)
    if report.status == "aborted":
        facts.aborted_reason = "the journal's status is `aborted`"
    verdict, reasons = decide(journal, facts)
    if verdict is Outcome.HELD and report.status == "failed":
        verdict, reasons = Outcome.BROKEN, ["the journal's status is `failed` (a probe failed)"]
    report.outcome, report.exit_code, report.reasons = verdict.value, verdict.exit_code, reasons


def _journal(data: Mapping[str, Any], report: RunReport) -> Any:
    """The journal as the engine's model, for its verdict rules."""
    from squall.journal.model import (
        ActivityRun,
        HypothesisRun,
        Journal,
        JournalStatus,
    )

    def run(entry: Entry, raw: Any) -> ActivityRun:
        item = ActivityRun.from_dict(raw if _is_map(raw) else {})
        item.reason = entry.reason
        return item

    def hypothesis(check: HypothesisCheck | None, raw: Any) -> HypothesisRun | None:
        if check is None:
            return None
        probes = _list(_mapping(raw).get("probes"))
        return HypothesisRun(
            check.met, [run(p, r) for p, r in zip(check.probes, probes, strict=False)]
        )

    journal = Journal(experiment={}, start=report.start, platform="", node="", squall_version="")
    statuses = {s.value: s for s in JournalStatus}
    journal.status = statuses.get(report.status, JournalStatus.COMPLETED)
    journal.deviated = report.deviated
    states = _mapping(data.get("steady_states"))
    journal.before = hypothesis(report.before, states.get("before"))
    journal.after = hypothesis(report.after, states.get("after"))
    raw_during = _list(states.get("during"))
    journal.during = [
        h for h in (hypothesis(c, r) for c, r in zip(report.during, raw_during, strict=False)) if h
    ]
    raws = [e for e in _list(data.get("run")) if _is_map(e)]
    journal.run = [run(e, r) for e, r in zip(report.method, raws, strict=True)]
    raws = [e for e in _list(data.get("rollbacks")) if _is_map(e)]
    journal.rollbacks = [run(e, r) for e, r in zip(report.rollbacks, raws, strict=True)]
    if journal.status is JournalStatus.INTERRUPTED:
        journal.interruption = dict(_mapping(data.get("interruption"))) or {
            "reason": "interrupted (the journal's status)"
        }
    return journal


class _Clock:
    """Offsets in seconds from the start of the run, and pauses in seconds."""

    def __init__(self, start: str, configuration: Mapping[str, Any]) -> None:
        self.zero = _instant(start)
        self.configuration = configuration

    def pause(self, value: Any) -> float:
        """A pause as declared: a number, or ``${name}`` of a configuration number (the
        journal keeps placeholders); anything else 0."""
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            value = self.configuration.get(value[2:-1])
        return _number(value)

    def offset(self, when: str) -> float | None:
        moment = _instant(when)
        if moment is None:
            return None
        if self.zero is None:
            self.zero = moment
        return (moment - self.zero).total_seconds()


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    # the Chaos Toolkit writes naive UTC times
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry(raw: Mapping[str, Any], phase: str, clock: _Clock, check: int = 0) -> Entry:
    activity = _mapping(raw.get("activity"))
    provider = _mapping(activity.get("provider"))
    extra = _mapping(raw.get("squall"))
    exception = raw.get("exception")
    lines = [str(x) for x in exception] if isinstance(exception, list) else []
    if exception is not None and not isinstance(exception, list):
        lines = [str(exception)]
    tolerance_met = raw.get("tolerance_met")
    succeeded = raw.get("status") == "succeeded"
    status = "succeeded" if succeeded else "failed"
    if extra.get("cancelled"):
        status = "cancelled"
    elif extra.get("excused") and not succeeded:
        status = "excused"
    elif succeeded and tolerance_met is False:
        status = "not-met"
    pauses = _mapping(activity.get("pauses"))
    start = _text(raw.get("start"))
    said = _said(extra.get("reason"))
    return Entry(
        phase=phase,
        name=_text(activity.get("name")) or _text(activity.get("ref")) or "(unnamed)",
        kind=_text(activity.get("type")) or "?",
        status=status,
        start=start,
        end=_text(raw.get("end")),
        duration=_number(raw.get("duration")),
        offset=clock.offset(start),
        provider=_provider(provider),
        arguments=provider.get("arguments"),
        output=raw.get("output"),
        error=(said if said and not succeeded else _last_line(lines)),
        traceback="".join(lines),
        tolerance=activity.get("tolerance"),
        tolerance_met=tolerance_met if isinstance(tolerance_met, bool) else None,
        background=activity.get("background") is True,
        group=_text(extra.get("group")),
        pause_before=clock.pause(pauses.get("before")),
        pause_after=clock.pause(pauses.get("after")),
        controls=_names(activity.get("controls")),
        check=check,
        said=said if succeeded and tolerance_met is False else "",
        notes=_notes(extra),
        worker=worker if isinstance(worker := extra.get("worker"), str) else "",
    )


def _check(raw: Any, phase: str, clock: _Clock, number: int = 0) -> HypothesisCheck | None:
    if not _is_map(raw):
        return None
    met = raw.get("steady_state_met")
    probes = [_entry(p, phase, clock, number) for p in _list(raw.get("probes")) if _is_map(p)]
    return HypothesisCheck(phase=phase, met=met if isinstance(met, bool) else None, probes=probes)


def _group(raw: Mapping[str, Any], clock: _Clock) -> Group:
    return Group(
        name=_text(raw.get("name")),
        phase=_text(raw.get("phase")),
        join=_text(raw.get("join")) or "all",
        status=_text(raw.get("status")),
        offset=clock.offset(_text(raw.get("start"))),
        duration=_number(raw.get("duration")),
        activities=[str(a) for a in _list(raw.get("activities"))],
    )


def _deviation_at(report: RunReport) -> float | None:
    for check in [*report.during, *([report.after] if report.after else [])]:
        for probe in check.probes:
            if probe.tolerance_met is False and probe.offset is not None:
                return probe.offset + probe.duration
    return None


def _declared(method: Any) -> list[tuple[str, str]]:
    """The method's activities as declared (kind, name), parallel groups flattened."""
    found: list[tuple[str, str]] = []
    for item in _list(method):
        if not _is_map(item):
            continue
        if item.get("type") == "parallel":
            found += _declared(item.get("activities"))
        elif "ref" in item:
            found.append(("ref", _text(item.get("ref"))))
        else:
            found.append((_text(item.get("type")) or "?", _text(item.get("name")) or "(unnamed)"))
    return found


def _provider(provider: Mapping[str, Any]) -> str:
    kind = _text(provider.get("type"))
    if kind == "python":
        return f"python {_text(provider.get('module'))}.{_text(provider.get('func'))}"
    if kind == "process":
        return f"process {_text(provider.get('path'))}"
    if kind == "http":
        return f"http {_text(provider.get('method')) or 'GET'} {_text(provider.get('url'))}"
    return kind


def _digest(experiment: Mapping[str, Any]) -> str:
    from squall.journal.history import experiment_hash

    return experiment_hash(experiment)


def _names(controls: Any) -> list[str]:
    return [_text(c.get("name")) or "(unnamed)" for c in _list(controls) if _is_map(c)]


def _is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _said(reason: Any) -> str:
    """The run's own words for a failure or a miss, as its console said them (squall
    journals; text only: a journal is untrusted)."""
    return reason.strip() if isinstance(reason, str) else ""


def _notes(extra: Mapping[str, Any]) -> list[str]:
    """What the console warned of, kept in the entry's ``squall`` additions: a play again
    from the start (a Temporal worker lost), calls retried."""
    notes = []
    replayed = extra.get("replayed")
    if isinstance(replayed, str) and replayed:
        attempt = extra.get("attempt")
        number = f" (attempt {attempt})" if isinstance(attempt, int) and attempt > 1 else ""
        notes.append(f"{replayed}{number}")
    attempts = extra.get("attempts")
    if isinstance(attempts, list) and len(attempts) > 1:
        statuses = [_text(_mapping(a).get("status")) or "?" for a in attempts[:20]]
        more = ", ..." if len(attempts) > 20 else ""
        notes.append(f"called {len(attempts)} times (retry): {', '.join(statuses)}{more}")
    return notes


def _last_line(lines: list[str]) -> str:
    """The last line of an exception (a Chaos Toolkit journal's, or an older squall's)."""
    text = "".join(lines).strip()
    return text.splitlines()[-1] if text else ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else short(value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return 0.0
    return float(min(value, 1e9))
