"""Record a run in the run history as it starts and as it ends (or is recovered).

A history that cannot be written never stops a run: the listener is warned and the run
goes on (the journal file and the event stream still hold everything).
"""

from __future__ import annotations

import os

from squall.journal.model import Journal

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from squall.engine.context import Listener
    from squall.journal.history import RunHistory, RunRecord
    from squall.plan import Plan

__all__ = ["open_named", "record_end", "record_start", "start_record"]


def _where(path: str | os.PathLike[str] | None) -> str | None:
    return os.path.abspath(os.fspath(path)) if path is not None else None


def open_named(
    target: str | os.PathLike[str] | bool, settings: Mapping[str, Any]
) -> RunHistory | None:
    """Open the run history a program named in ``RunOptions(history=...)``: a path or
    URL, ``True`` for the one ``squall run`` uses ($SQUALL_HISTORY, else the ``history``
    setting, else the default file); None when that one is turned off (``off``).

    Raises:
        HistoryError: it cannot be opened.
    """
    from squall.journal.history import default_target, is_off, open_history

    if target is True:
        name = default_target(settings)
    else:
        name = os.fspath(target) if target is not False else None
        if name is not None and (not name.strip() or is_off(name)):
            name = None
    return None if name is None else open_history(name)


def start_record(
    plan: Plan,
    journal: Journal,
    journal_path: str | os.PathLike[str] | None,
    events_path: str | None,
) -> RunRecord:
    """The history's record of a run that starts now."""
    from squall._version import __version__
    from squall.journal.history import RunRecord, experiment_hash

    source = plan.experiment.source or None
    if source and os.path.exists(source):
        source = os.path.abspath(source)
    return RunRecord(
        run_id=journal.run_id,
        title=str(journal.experiment.get("title", "")),
        experiment_hash=journal.experiment_hash or experiment_hash(plan.experiment.raw),
        source=source,
        started_at=journal.start,
        journal_path=_where(journal_path),
        events_path=_where(events_path),
        node=journal.node,
        pid=os.getpid(),
        squall_version=__version__,
    )


def record_start(history: RunHistory, record: RunRecord, listener: Listener) -> None:
    from squall.journal.history import HistoryError

    try:
        history.start(record)
    except HistoryError as exc:
        listener.warning(f"run history: {exc}")


def record_end(
    history: RunHistory,
    record: RunRecord,
    journal: Journal,
    text: str,
    listener: Listener,
    *,
    recovered: bool = False,
) -> None:
    """Record how the run ended, with its final journal ``text``."""
    from squall.journal.history import HistoryError

    outcome = journal.decided_outcome
    ended = record.replace(
        status=journal.status.value,
        outcome=outcome.value if outcome else None,
        exit_code=outcome.exit_code if outcome else None,
        ended_at=journal.end or None,
        duration=journal.duration,
        recovered=recovered or record.recovered,
        journal=text,
    )
    try:
        history.finish(ended)
    except HistoryError as exc:
        listener.warning(f"run history: {exc}")
