"""RunRecord: one run as the history keeps it."""

from __future__ import annotations

import json
from collections.abc import Mapping

from squall._record import Record

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["COLUMNS", "SUMMARY_COLUMNS", "RunRecord", "experiment_hash"]

#: the columns of ``squall_runs``, in order (``journal`` last: it is the big one)
SUMMARY_COLUMNS = (
    "run_id",
    "title",
    "experiment_hash",
    "source",
    "status",
    "outcome",
    "exit_code",
    "started_at",
    "ended_at",
    "duration",
    "journal_path",
    "events_path",
    "node",
    "pid",
    "squall_version",
    "recovered",
)
COLUMNS = (*SUMMARY_COLUMNS, "journal")

RUNNING = "running"


def experiment_hash(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the experiment as canonical JSON (sorted keys, no spaces): the same
    experiment gives the same hash whatever its file's layout or format (JSON or YAML)."""
    text = json.dumps(
        raw,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
        check_circular=False,  # a run's document has passed the input limits: no cycle
    )
    return str(_sha256()(text.encode("utf-8")).hexdigest())


def _sha256() -> Any:
    """SHA-256 from CPython's built-in module: ``hashlib`` would load OpenSSL first (about
    2 ms of every recorded run); the digest is the same."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # Python >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # Python 3.11
        except ImportError:
            from hashlib import sha256
    return sha256


class RunRecord(Record):
    """A row of the run history. ``status`` is ``running`` until the run ends (a run that
    stays ``running`` after its process died was killed: ``squall recover`` it)."""

    __slots__ = COLUMNS

    def __init__(
        self,
        *,
        run_id: str,
        title: str = "",
        experiment_hash: str = "",
        source: str | None = None,
        status: str = RUNNING,
        outcome: str | None = None,
        exit_code: int | None = None,
        started_at: str = "",
        ended_at: str | None = None,
        duration: float | None = None,
        journal_path: str | None = None,
        events_path: str | None = None,
        node: str | None = None,
        pid: int | None = None,
        squall_version: str | None = None,
        recovered: bool = False,
        journal: str | None = None,
    ) -> None:
        self.run_id = run_id
        self.title = title
        self.experiment_hash = experiment_hash
        self.source = source
        self.status = status
        self.outcome = outcome
        self.exit_code = exit_code
        self.started_at = started_at
        self.ended_at = ended_at
        self.duration = duration
        self.journal_path = journal_path
        self.events_path = events_path
        self.node = node
        self.pid = pid
        self.squall_version = squall_version
        self.recovered = recovered
        self.journal = journal

    @classmethod
    def from_row(cls, row: tuple[Any, ...], columns: tuple[str, ...] = COLUMNS) -> RunRecord:
        values = dict(zip(columns, row, strict=True))
        values["recovered"] = bool(values.get("recovered"))
        return cls(**values)

    def row(self) -> tuple[Any, ...]:
        return tuple(int(self.recovered) if c == "recovered" else getattr(self, c) for c in COLUMNS)

    @property
    def finished(self) -> bool:
        return self.status != RUNNING

    def journal_data(self) -> dict[str, Any] | None:
        """The stored final journal, parsed (None while the run has not finished)."""
        if not self.journal:
            return None
        data = json.loads(self.journal)
        return data if isinstance(data, dict) else None

    def summary(self) -> dict[str, Any]:
        """Everything but the journal, as plain data (for ``--json``)."""
        return {c: getattr(self, c) for c in SUMMARY_COLUMNS}
