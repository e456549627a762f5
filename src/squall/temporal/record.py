"""A Temporal run's journal and run-history record, written from the journal document
the workflow returns (its entries already masked and cut, as the local journal's).

Who writes them: the command line that follows the run (``squall run --engine temporal``,
``squall runs attach``), with the same ``--journal-path`` and history options as a local
run; for a run nobody follows (``--detach``, a schedule), the worker that finishes it,
into its own history and ``--journal-dir``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from squall.engine.context import NullListener
from squall.journal.model import Journal, JournalStatus, Outcome
from squall.journal.store import format_journal, write_journal_text
from squall.plan import Plan
from squall.temporal.inputs import RunInput, plan_of

if TYPE_CHECKING:
    from squall.engine.context import Listener
    from squall.journal.history import RunHistory, RunRecord

__all__ = [
    "ENV_WORKER_HISTORY",
    "end_unrun_record",
    "finish_record",
    "journal_of",
    "problem_reasons",
    "record_finished",
    "start_run_record",
]

#: the history a worker records the runs nobody follows in (default: the user's)
ENV_WORKER_HISTORY = "SQUALL_HISTORY"


def journal_of(document: Mapping[str, Any]) -> Journal:
    """The journal's header and verdict read back from its document (what the history
    record and the console's verdict need)."""
    section = document.get("squall") or {}
    journal = Journal(
        experiment=document.get("experiment") or {},
        start=str(document.get("start") or ""),
        platform=str(document.get("platform") or ""),
        node=str(document.get("node") or ""),
        squall_version=str(section.get("version") or ""),
        run_id=str(section.get("run_id") or ""),
    )
    journal.experiment_hash = str(section.get("experiment_hash") or "")
    journal.status = JournalStatus(document.get("status") or "completed")
    journal.deviated = bool(document.get("deviated"))
    journal.end = str(document.get("end") or "")
    journal.duration = float(document.get("duration") or 0.0)
    outcome = section.get("outcome")
    if outcome:
        journal.outcome = Outcome(outcome)
    journal.reasons = [str(r) for r in section.get("reasons") or []]
    return journal


def start_run_record(
    plan: Plan,
    run_id: str,
    started: str,
    journal_path: str | None,
    history: RunHistory | None,
    listener: Listener,
    *,
    now: bool = True,
) -> RunRecord | None:
    """The run's history record (None: no history), recorded as it starts when ``now``
    (a run followed from its start; one attached to later is recorded as it ends)."""
    if history is None:
        return None
    from squall.engine.history import record_start, start_record
    from squall.engine.rules import journal_experiment, platform_name

    journal = Journal(
        experiment=journal_experiment(plan, {}),
        start=started,
        platform=platform_name(),
        node=os.uname().nodename,
        squall_version="",
        run_id=run_id,
    )
    # no pid: the run lives in Temporal, not in this process (a dead command line does
    # not make it a "stopped" run to recover)
    record = start_record(plan, journal, journal_path, None).replace(pid=None)
    if now:
        record_start(history, record, listener)
    return record


def finish_record(
    document: dict[str, Any],
    journal_path: str | None,
    history: RunHistory | None,
    record: RunRecord | None,
    listener: Listener,
) -> str:
    """Write the journal file (when a path is given) and the end of the history record;
    returns the journal's text. A journal file that cannot be written breaks a run that
    held or deviated (``document``'s verdict is changed, as on the local engine)."""
    text = format_journal(document)
    if journal_path:
        try:
            write_journal_text(text, journal_path)
        except OSError as exc:
            listener.warning(f"cannot write the journal {journal_path}: {exc}")
            _journal_lost(document, f"the journal could not be written ({exc})")
            text = format_journal(document)
    if history is not None and record is not None:
        from squall.engine.history import record_end

        journal = journal_of(document)
        ended = record.replace(
            title=str(journal.experiment.get("title", "")),
            node=journal.node,
            started_at=journal.start or record.started_at,
        )
        record_end(history, ended, journal, text, listener)
    return text


def record_finished(run: RunInput, text: str, journal_dir: str | None) -> str:
    """On the worker: record a run nobody follows in this worker's history (``$SQUALL_
    HISTORY``, else the user's) and write its journal into ``journal_dir`` (when
    given); returns the journal's path ("" when none)."""
    import json

    document = json.loads(text)
    if "problems" in document:
        _record_refused(run, document["problems"])
        return ""
    path = os.path.join(journal_dir, f"{run.run_id}.journal.json") if journal_dir else None
    history = _worker_history()
    listener = NullListener()
    try:
        plan = plan_of(run)
        record = start_run_record(
            plan, run.run_id, str(document.get("start") or ""), path, history, listener, now=False
        )
        finish_record(document, path, history, record, listener)
    finally:
        if history is not None:
            history.close()
    return path or ""


def _worker_history() -> RunHistory | None:
    """This worker's run history (``$SQUALL_HISTORY``, else the user's); None when it is
    off or cannot be opened (a history never stops a run)."""
    from squall.journal.history import HistoryError, is_off, open_history

    target = os.environ.get(ENV_WORKER_HISTORY, "")
    if is_off(target):
        return None
    try:
        return open_history(target)
    except HistoryError:
        return None


#: the history status of a run whose worker found it could not run there (nothing ran)
REFUSED = "invalid"


def _record_refused(run: RunInput, problems: list[dict[str, str]]) -> None:
    """On the worker: a run nobody follows (a schedule's fire, ``--detach``) that the
    worker refused before anything ran (a module it cannot import, a missing
    executable...): recorded in its history as ``invalid``, exit code 2, with the
    problems as the reasons (``squall runs show RUN_ID``), so the fire is not lost."""
    from squall.engine.context import now_iso
    from squall.engine.history import start_record
    from squall.engine.rules import journal_experiment
    from squall.journal.history import HistoryError

    history = _worker_history()
    if history is None:
        return
    plan = plan_of(run)
    now = now_iso()
    header = Journal(
        experiment=journal_experiment(plan, {}),
        start=now,
        platform="",
        node=os.uname().nodename,
        squall_version="",
        run_id=run.run_id,
    )
    record = start_record(plan, header, None, None).replace(pid=None)
    try:
        history.start(record)
        history.finish(_ended_unrun(record, REFUSED, 2, problem_reasons(problems), problems))
    except HistoryError:
        pass
    finally:
        history.close()


def problem_reasons(problems: list[dict[str, str]]) -> list[str]:
    """The reasons a refused run gives: each problem, where it is and what it is."""
    return [f"{p.get('pointer') or '/'}: {p.get('message', '')}" for p in problems]


def end_unrun_record(
    history: RunHistory | None,
    record: RunRecord | None,
    exit_code: int,
    reasons: list[str],
    listener: Listener,
    problems: list[dict[str, str]] | None = None,
) -> None:
    """The end of a run a command line followed that ended without a journal: refused
    where it was to run (``invalid``, exit 2: the problems a worker found, a worker
    without the payload key) or ended by Temporal (``failed``: no worker took it, the
    workflow failed or was terminated). Without it, its record stayed ``running`` for
    ever (never ``stopped``: it has no process here; never pruned)."""
    if history is None or record is None:
        return
    from squall.journal.history import HistoryError

    status = REFUSED if exit_code == 2 else "failed"
    try:
        history.finish(_ended_unrun(record, status, exit_code, reasons, problems))
    except HistoryError as exc:
        listener.warning(f"run history: {exc}")


def _ended_unrun(
    record: RunRecord,
    status: str,
    exit_code: int,
    reasons: list[str],
    problems: list[dict[str, str]] | None,
) -> RunRecord:
    """``record`` ended without a journal of its own: a small document gives the reasons
    (``squall runs show``: ``why:``), masked as every journal is."""
    from squall.engine.context import now_iso
    from squall.masking import mask_value

    verdict: dict[str, Any] = {"run_id": record.run_id, "reasons": reasons}
    if problems is not None:
        verdict["problems"] = problems
    document = mask_value({"status": status, "squall": verdict})
    return record.replace(
        status=status,
        exit_code=exit_code,
        ended_at=now_iso(),
        duration=0.0 if status == REFUSED else None,
        journal=format_journal(document),
    )


def _journal_lost(document: dict[str, Any], reason: str) -> None:
    """The verdict a journal that could not be written leaves (squall.engine.verdict's
    rule), carried into the document's ``squall`` section."""
    from squall.engine.verdict import journal_lost

    journal = journal_of(document)
    journal_lost(journal, reason)
    document.setdefault("squall", {}).update(journal.squall_section())
