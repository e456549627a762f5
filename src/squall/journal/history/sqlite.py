"""The SQLite run store (the default: one file under the user's data directory)."""

from __future__ import annotations

import os

from squall.journal.history.store import HistoryError

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["connect_sqlite", "sqlite_errors", "vacuum_sqlite"]


def _driver() -> Any:
    """SQLite's DB-API module: the C extension ``_sqlite3`` itself when there is one.

    The ``sqlite3`` package re-exports it (``from _sqlite3 import *``) and adds the date and
    datetime adapters, importing ``datetime`` for them: about 6 M instructions, 4 % of a
    short run's, for adapters the run history never uses (its timestamps are ISO texts).
    Same connection class, same exceptions; tests/journal/test_history_driver.py checks it.
    """
    try:
        import _sqlite3
    except ImportError:  # an interpreter that only has the package
        import sqlite3

        return sqlite3
    return _sqlite3


def sqlite_errors() -> tuple[type[Exception], ...]:
    return (_driver().Error,)


#: pages of WAL after which a commit checkpoints it (SQLite's default: 1000, about 4 MB)
WAL_PAGES = 100


def _no_checkpoint_on_close(connection: Any) -> bool:
    """Leave the WAL for the next run instead of checkpointing it (two disk syncs at the
    close, and two more when the next run creates the WAL again: most of the history's
    cost per run) when the last connection closes; False when this Python cannot say so
    (``Connection.setconfig`` is new in 3.12; ``_connection_class`` does it on 3.11).

    The next run's first connection then reads the whole WAL to rebuild its index (SQLite's
    recovery after a close without checkpoint): 0.15 ms for a few pages, 1.7 ms for the
    4 MB SQLite lets a WAL grow to by default. A commit checkpoints once the WAL holds
    ``WAL_PAGES`` pages instead (every 10 to 25 runs): the median cost of a run's history
    (open, two commits, close) went from 1.6-2.1 to 0.4-0.6 ms in a simulation of 600 runs
    on this machine's disk. What a commit keeps is unchanged: it is in the WAL when
    ``commit`` returns, so it survives the process being killed at once; checkpoints
    (which sync) keep a power cut from corrupting the file."""
    flag = getattr(_driver(), "SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE", None)
    setconfig = getattr(connection, "setconfig", None)
    if flag is None or setconfig is None:
        return False
    setconfig(flag, True)
    return True


def _uri(path: str) -> str:
    """The read-only URI of the absolute ``path`` (SQLite decodes %HH in it)."""
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file://{quoted}?mode=ro"


_CONNECTION: list[type] = []


def _connection_class() -> type:
    """A connection whose ``close`` does not checkpoint, for Pythons without
    ``setconfig`` (3.11).

    SQLite checkpoints at a close only when it can take the database's EXCLUSIVE lock,
    that is when no other connection holds it open, and never from a read-only
    connection (it cannot lock the file for writing). So ``close`` first opens a
    read-only connection and reads the header (a SHARED lock), closes the connection
    (no checkpoint: it is not the last), then the reader (no checkpoint: read-only).
    Nothing is held during the run; a process killed before ``close`` leaves the WAL
    as it always did. Should the reader not open, the close checkpoints as before."""
    if not _CONNECTION:
        driver = _driver()

        class _Connection(driver.Connection):  # type: ignore[misc,name-defined]
            reader_uri = ""

            def close(self) -> None:
                reader = None
                if self.reader_uri:
                    try:
                        reader = driver.connect(self.reader_uri, uri=True, timeout=0)
                        reader.execute("PRAGMA schema_version").fetchall()
                    except driver.Error:
                        pass
                try:
                    super().close()
                finally:
                    if reader is not None:
                        reader.close()

        _CONNECTION.append(_Connection)
    return _CONNECTION[0]


def connect_sqlite(path: str) -> Any:
    """A connection to the history file at ``path`` (its directory is created).

    Raises:
        HistoryError: the file or its directory cannot be created or opened.
    """
    sqlite3 = _driver()
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        # runs of several squall processes may write at once: wait for the lock
        connection = sqlite3.connect(path, timeout=30, factory=_connection_class())
        if not _no_checkpoint_on_close(connection):
            connection.reader_uri = _uri(os.path.abspath(path))
        connection.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL (SQLite's advice for WAL): a commit survives a killed process, and
        # a power cut cannot corrupt the file; only checkpoints wait for the disk
        connection.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(
            f"cannot open the run history {path}: {exc}; choose another place with "
            "--history PATH (or SQUALL_HISTORY), or turn it off with --no-history"
        ) from None
    return connection


def _size(connection: Any) -> int:
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    return int(pages) * int(connection.execute("PRAGMA page_size").fetchone()[0])


def vacuum_sqlite(connection: Any) -> int:
    """Rewrite the file without the space deleted rows left (SQLite keeps it otherwise:
    a pruned history stays as large as it ever was), then fold the write-ahead log back
    so the file on disk shrinks now (nothing is done when no page is free); returns the
    bytes freed."""
    connection.commit()
    if not connection.execute("PRAGMA freelist_count").fetchone()[0]:
        return 0
    before = _size(connection)
    connection.execute("VACUUM")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return max(before - _size(connection), 0)
