"""RunRecord: one run as the history keeps it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall import _json
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

_TEXT = _json.encode_text  # a text as JSON, non-ASCII kept (C)


def experiment_hash(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the experiment as canonical JSON (sorted keys, no spaces): the same
    experiment gives the same hash whatever its file's layout or format (JSON or YAML).

    The text is hashed a few activities at a time, never held whole: the C encoder keeps
    every small piece of a text until its end, so encoding a large experiment at once
    took megabytes of fresh memory, a page fault for every 4 KB (about 320 for 1000
    activities, a quarter of what such a run's memory costs the kernel)."""
    hasher = _Hasher()
    _walk(raw, 2, hasher)
    return hasher.hexdigest()


class _Hasher:
    """SHA-256 of a text given in pieces, hashed a batch at a time."""

    __slots__ = ("batch", "digest")

    def __init__(self) -> None:
        self.digest = _sha256()()
        self.batch: list[str] = []

    def flush(self) -> None:
        self.digest.update("".join(self.batch).encode("utf-8"))
        self.batch.clear()

    def hexdigest(self) -> str:
        self.flush()
        return str(self.digest.hexdigest())


def _walk(value: Any, depth: int, hasher: _Hasher) -> None:
    """Give ``hasher`` the canonical JSON text of ``value`` (``_dumps_canonical``'s,
    one ``json.dumps`` call) in pieces: a mapping with text keys walked ``depth``
    levels down, a list's items a slice at a time (an experiment's activities), the
    rest whole."""
    batch = hasher.batch
    if depth and type(value) is dict and all(type(key) is str for key in value):
        opening = "{"
        for key in sorted(value):  # the encoder's order: text keys sorted by code point
            batch += (opening, _TEXT(key), ":")
            _walk(value[key], depth - 1, hasher)
            opening = ","
        batch.append("{}" if opening == "{" else "}")
    elif type(value) is list and value:
        opening = "["
        for start in range(0, len(value), _SLICE):
            # "[a,b,c]" of a slice of the items: its inside continues the list's text
            text = "".join(_canonical(value[start : start + _SLICE], 0))
            batch += (opening, text[1:-1])
            hasher.flush()
            opening = ","
        batch.append("]")
    else:
        batch += _canonical(value, 0)


#: a list's items encoded at once (the encoder's pieces of them held until its end)
_SLICE = 32


def _dumps_canonical(value: Any, _level: int = 0) -> list[str]:
    text = _json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
        check_circular=False,
    )
    return [text]


#: ``_canonical(value, 0)``: the experiment hash's text of ``value`` (``_dumps_canonical``'s)
#: as pieces to join; the C encoder itself when there is one (a list of its pieces),
#: without ``dumps``' layers (the document has passed the input limits: no cycle)
_canonical: Callable[[Any, int], list[str]] = _dumps_canonical
_C_ENCODER: Any = _json.make_encoder
if _C_ENCODER is not None:
    # markers, default, text encoder, indent, separators, sort_keys, skipkeys, allow_nan
    _canonical = _C_ENCODER(None, str, _TEXT, None, ":", ",", True, False, True)


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
        data = _json.loads(self.journal)
        return data if isinstance(data, dict) else None

    def summary(self) -> dict[str, Any]:
        """Everything but the journal, as plain data (for ``--json``)."""
        return {c: getattr(self, c) for c in SUMMARY_COLUMNS}
