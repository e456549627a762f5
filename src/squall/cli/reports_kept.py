"""The reports a run was asked for (``--report``, ``--junit`` or the ``reports``
setting), kept in the recovery directory while the run can still be recovered, so that
``squall recover`` writes them when it finishes the run (docs/recovery.md).

``RUN_ID.reports.json`` (mode 0600, next to ``RUN_ID.events.jsonl``) holds the targets
(format and absolute path) and the journals the report covers (a suite's earlier runs and
this one): paths only, nothing of the run's data. It is written before the run starts
and removed once nothing is left to recover.
"""

from __future__ import annotations

import contextlib
import json
import os

__all__ = ["KeptReports", "forget_reports", "keep_reports", "kept_reports", "settle_reports"]

_SUFFIX = ".reports.json"


class KeptReports:
    """What a run's reports are: ``targets`` (format, path) over ``journals``."""

    __slots__ = ("journals", "targets")

    def __init__(self, targets: list[tuple[str, str]], journals: list[str]) -> None:
        self.targets = targets
        self.journals = journals


def _path(run_id: str) -> str:
    from squall.journal.recovery import recovery_dir

    return os.path.join(recovery_dir(), f"{run_id}{_SUFFIX}")


def keep_reports(run_id: str, targets: list[tuple[str, str]], journals: list[str]) -> None:
    """Remember the run's report targets before it starts (nothing when there are none;
    a recovery directory that cannot be written is the run's own error to report)."""
    if not targets:
        return
    path = _path(run_id)
    data = {
        "targets": [[fmt, os.path.abspath(where)] for fmt, where in targets],
        "journals": [os.path.abspath(journal) for journal in journals],
    }
    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)


def kept_reports(run_id: str) -> KeptReports | None:
    """The report targets the run was given (None: none, or not readable)."""
    try:
        with open(_path(run_id), encoding="utf-8") as handle:
            data = json.load(handle)
        targets = [(str(fmt), str(where)) for fmt, where in data["targets"]]
        journals = [str(journal) for journal in data["journals"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return KeptReports(targets, journals)


def settle_reports(run_id: str, events: str) -> None:
    """Forget the run's report targets once its event stream is gone (nothing left to
    recover); keep them while rollbacks are still owed."""
    if not os.path.exists(events):
        forget_reports(run_id)


def forget_reports(run_id: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(_path(run_id))
