"""OUTPUT: the journal model, its streaming recorder and its files."""

from squall.journal.model import (
    ActivityRun,
    HypothesisRun,
    Journal,
    JournalStatus,
    Outcome,
    RunStatus,
)
from squall.journal.store import read_journal, write_journal

__all__ = [
    "ActivityRun",
    "HypothesisRun",
    "Journal",
    "JournalStatus",
    "Outcome",
    "RunStatus",
    "read_journal",
    "write_journal",
]
