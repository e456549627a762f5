"""The warning ``squall run`` gives about an unrecovered run of the same experiment
(click-free: the usual ``squall run`` does not import click)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["warn_unrecovered"]


def warn_unrecovered(source: str, raw: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Before a run: say so when a run of the same experiment (same file, or the same
    document) was stopped and not recovered; its rollbacks may still be owed."""
    from squall.journal.recovery import list_streams

    if not any(not s.running for s in list_streams()):  # the usual case: nothing to read
        return
    from squall.engine.recover import unrecovered
    from squall.journal.history import experiment_hash
    from squall.show import counted

    where = os.path.abspath(source) if os.path.exists(source) else source
    digest = experiment_hash(raw)
    for run in unrecovered(settings):
        start = run.info.start
        same = start.get("source") == where or start.get("experiment_hash") == digest
        if run.info.running or not same:
            continue
        owed = f"{counted(len(run.owed), 'rollback')} owed" if run.owed else "no rollback owed"
        sys.stderr.write(
            f"squall: warning: run {run.info.run_id} of this experiment (started "
            f"{run.info.started}) was stopped and not recovered ({owed}): "
            f"`squall recover {run.info.run_id}` finishes it\n"
        )
