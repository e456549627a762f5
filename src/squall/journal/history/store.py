"""RunHistory: the run store, the same SQL on SQLite and PostgreSQL (DB-API connections)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from squall.errors import InputError
from squall.journal.history.compress import COMPRESS_FROM, compress_journal, expand_journal
from squall.journal.history.record import COLUMNS, RUNNING, SUMMARY_COLUMNS, RunRecord
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HistoryError", "RunHistory", "UnknownRun"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS squall_runs (
        run_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        experiment_hash TEXT NOT NULL,
        source TEXT,
        status TEXT NOT NULL,
        outcome TEXT,
        exit_code INTEGER,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration DOUBLE PRECISION,
        journal_path TEXT,
        events_path TEXT,
        node TEXT,
        pid INTEGER,
        squall_version TEXT,
        recovered INTEGER NOT NULL DEFAULT 0,
        journal TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS squall_runs_started ON squall_runs (started_at)",
    "CREATE INDEX IF NOT EXISTS squall_runs_experiment ON squall_runs (experiment_hash)",
)

#: what ``finish`` changes (the rest was recorded when the run started)
_END_COLUMNS = (
    "status",
    "outcome",
    "exit_code",
    "ended_at",
    "duration",
    "journal_path",
    "events_path",
    "recovered",
    "journal",
)

#: a run id (compiled by ``re`` on first use: a run never looks one up)
#: a run id: squall makes hex ones; a schedule's run is ``NAME-<fire time>`` (``:``, ``.``)
_ID = r"^[0-9A-Za-z_.:-]+$"


class HistoryError(InputError):
    """The run history cannot be opened, read or written."""


class UnknownRun(HistoryError):
    """No run (or more than one) has this id or id prefix."""


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RunHistory:
    """One open store. ``param`` is the driver's placeholder (``?`` or ``%s``); ``where``
    names the store in messages; ``errors`` are the driver's exception classes;
    ``reclaim`` gives the space of deleted rows back (the kind of store knows how) and
    returns the bytes the store's files shrank by, when it can tell; ``compress``: a
    journal of ``COMPRESS_FROM`` characters or more is stored compressed (SQLite)."""

    def __init__(
        self,
        connection: Any,
        param: str,
        where: str,
        errors: tuple[type[Exception], ...] = (),
        reclaim: Callable[[Any], int | None] | None = None,
        *,
        compress: bool = False,
    ) -> None:
        self.connection = connection
        #: a large journal is stored compressed (``stored_journal``)
        self.compress = compress
        self.where = where
        self._reclaim = reclaim
        self._param = param
        self._errors = errors or (Exception,)
        with self._guard("create the schema of"):
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.commit()

    def _sql(self, text: str) -> str:
        return text.replace("?", self._param)

    def _guard(self, doing: str) -> _Guard:
        return _Guard(self, doing)

    def _execute(self, text: str, args: tuple[Any, ...] = ()) -> Any:
        return self.connection.execute(self._sql(text), args)

    def start(self, record: RunRecord) -> None:
        """Record a run that starts now (or replace the record of that id)."""
        record = self._stored(_masked(record))
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        marks = ", ".join("?" for _ in COLUMNS)
        with self._guard("record the run in"):
            self._execute(
                f"INSERT INTO squall_runs ({', '.join(COLUMNS)}) VALUES ({marks}) "
                f"ON CONFLICT (run_id) DO UPDATE SET {updates}",
                record.row(),
            )
            self.connection.commit()

    def finish(self, record: RunRecord) -> None:
        """Record how a run ended (inserts the whole record if its start was not kept)."""
        record = self._stored(_masked(record))
        sets = ", ".join(f"{c} = ?" for c in _END_COLUMNS)
        values = tuple(int(v) if c == "recovered" else v for c, v in _end_values(record))
        with self._guard("record the end of the run in"):
            cursor = self._execute(
                f"UPDATE squall_runs SET {sets} WHERE run_id = ?", (*values, record.run_id)
            )
            if cursor.rowcount == 0:
                marks = ", ".join("?" for _ in COLUMNS)
                self._execute(
                    f"INSERT INTO squall_runs ({', '.join(COLUMNS)}) VALUES ({marks})",
                    record.row(),
                )
            self.connection.commit()

    def get(self, run_id: str) -> RunRecord:
        """The run with this id, or the only one whose id starts with it.

        Raises:
            UnknownRun: no run, or several, match (the message names near matches).
        """
        wanted = run_id.strip().lower()
        import re  # not on a run's path

        if not re.match(_ID, wanted):
            raise UnknownRun(
                f"{show_value(run_id)} is not a run id (run ids are letters and digits)"
            )
        with self._guard("read"):
            rows = self._execute(
                "SELECT run_id FROM squall_runs WHERE lower(run_id) LIKE ? ESCAPE '\\' "
                "ORDER BY started_at DESC LIMIT 11",
                (_like(wanted) + "%",),
            ).fetchall()
            ids = [str(r[0]) for r in rows]
            exact = [i for i in ids if i.lower() == wanted]
            if exact:
                ids = exact[:1]
            if len(ids) == 1:
                row = self._execute(
                    f"SELECT {', '.join(COLUMNS)} FROM squall_runs WHERE run_id = ?", (ids[0],)
                ).fetchone()
                return self._read(tuple(row))
        if ids:
            more = ", ..." if len(ids) > 10 else ""
            raise UnknownRun(
                f"run id {show_value(run_id)} is ambiguous in {self.where}: it starts "
                f"{', '.join(ids[:10])}{more}; give more characters"
            )
        raise UnknownRun(f"no run {show_value(run_id)} in {self.where}{self._near(wanted)}")

    def _stored(self, record: RunRecord) -> RunRecord:
        """The record as the store keeps it: its journal compressed when large."""
        journal = record.journal
        if self.compress and journal is not None and len(journal) >= COMPRESS_FROM:
            return record.replace(journal=compress_journal(journal))
        return record

    def _read(self, row: tuple[Any, ...]) -> RunRecord:
        """A row of all ``COLUMNS`` as a record, its journal as text.

        Raises:
            HistoryError: the stored journal is damaged.
        """
        *summary, journal = row
        if isinstance(journal, bytes | memoryview):
            try:
                journal = expand_journal(bytes(journal))
            except ValueError as exc:
                raise HistoryError(
                    f"the journal of run {summary[0]} in the run history {self.where} "
                    f"is damaged: {exc}"
                ) from None
        return RunRecord.from_row((*summary, journal))

    def _near(self, wanted: str) -> str:
        import difflib

        with self._guard("read"):
            rows = self._execute(
                "SELECT run_id FROM squall_runs ORDER BY started_at DESC LIMIT 1000"
            ).fetchall()
        known = [str(r[0]) for r in rows]
        # compare with each id cut to the length given (the id may be a typo'd prefix)
        cut: dict[str, str] = {}
        for run in known:
            cut.setdefault(run[: len(wanted)], run)
        near = [cut[c] for c in difflib.get_close_matches(wanted, list(cut), n=3, cutoff=0.5)]
        if near:
            return f"; near matches: {', '.join(near)} (see `squall runs list`)"
        return "; see `squall runs list`" if known else " (the history is empty)"

    def runs(
        self,
        *,
        experiment: str | None = None,
        outcome: str | None = None,
        status: str | None = None,
        limit: int | None = 20,
    ) -> list[RunRecord]:
        """Runs, newest first (without their journals). ``experiment`` matches a title
        (substring, any case), a hash prefix or a source path."""
        where, args = [], []
        if experiment:
            where.append(
                "(LOWER(title) LIKE ? ESCAPE '\\' OR experiment_hash LIKE ? ESCAPE '\\' "
                "OR source = ?)"
            )
            args += [f"%{_like(experiment.lower())}%", _like(experiment.lower()) + "%", experiment]
        if outcome:
            where.append("outcome = ?")
            args.append(outcome)
        if status:
            where.append("status = ?")
            args.append(status)
        text = f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM squall_runs"
        if where:
            text += " WHERE " + " AND ".join(where)
        text += " ORDER BY started_at DESC, run_id DESC"
        if limit is not None:
            text += f" LIMIT {int(limit)}"
        with self._guard("read"):
            rows = self._execute(text, tuple(args)).fetchall()
        return [RunRecord.from_row(tuple(r), SUMMARY_COLUMNS) for r in rows]

    def prune(
        self, *, keep: int | None = None, before: str | None = None, dry_run: bool = False
    ) -> list[str]:
        """Delete the finished runs beyond the newest ``keep`` and/or those started
        before ``before`` (an ISO 8601 UTC time); returns their ids, newest first.

        Unfinished runs (``running``) are never deleted: ``squall recover`` may still
        need them, and they do not count towards ``keep``.
        """
        with self._guard("read"):
            rows = self._execute(
                "SELECT run_id, started_at FROM squall_runs WHERE status <> ? "
                "ORDER BY started_at DESC, run_id DESC",
                (RUNNING,),
            ).fetchall()
        doomed = [
            str(run_id)
            for index, (run_id, started_at) in enumerate(rows)
            if (keep is not None and index >= keep)
            or (before is not None and str(started_at) < before)
        ]
        if doomed and not dry_run:
            with self._guard("prune"):
                for run_id in doomed:
                    self._execute("DELETE FROM squall_runs WHERE run_id = ?", (run_id,))
                self.connection.commit()
        return doomed

    def reclaim(self) -> int | None:
        """Give the space of deleted runs back (SQLite: VACUUM, the file shrinks;
        PostgreSQL: VACUUM, the space is reused); returns the bytes freed if known.

        Raises:
            HistoryError: the store is busy or the space cannot be reclaimed.
        """
        if self._reclaim is None:
            return None
        with self._guard("reclaim the space of"):
            return self._reclaim(self.connection)

    def close(self) -> None:
        with contextlib.suppress(*self._errors):
            self.connection.close()


def _masked(record: RunRecord) -> RunRecord:
    """The record with its texts masked (the journal text is written from masked data)."""
    from squall.masking import mask_text

    return record.replace(
        title=mask_text(record.title),
        source=mask_text(record.source) if record.source else record.source,
    )


def _end_values(record: RunRecord) -> list[tuple[str, Any]]:
    return [(c, getattr(record, c)) for c in _END_COLUMNS]


class _Guard:
    """Turns a driver error into a HistoryError that says what failed and where."""

    __slots__ = ("doing", "history")

    def __init__(self, history: RunHistory, doing: str) -> None:
        self.history = history
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if exc is None or isinstance(exc, HistoryError):
            return
        if not isinstance(exc, self.history._errors):
            return
        with contextlib.suppress(*self.history._errors):
            self.history.connection.rollback()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HistoryError(
            f"cannot {self.doing} the run history {self.history.where}: {message}"
        ) from None
