"""The SQLite run history uses the C extension ``_sqlite3`` directly (no ``sqlite3``
package, so no ``datetime`` import for adapters it never uses): the same connections and
exceptions as the package's."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from squall.journal.history import open_history
from squall.journal.history.record import RunRecord
from squall.journal.history.sqlite import connect_sqlite, sqlite_errors
from squall.journal.history.store import HistoryError


def test_the_driver_is_the_package_s_own_module(tmp_path: Path) -> None:
    connection = connect_sqlite(str(tmp_path / "h.sqlite3"))
    try:
        assert isinstance(connection, sqlite3.Connection)
        assert sqlite_errors() == (sqlite3.Error,)
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.OperationalError):
            connection.execute("SELECT * FROM no_such_table")
    finally:
        connection.close()


def test_a_file_that_is_not_a_database_is_a_history_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"not a database, not at all" * 100)
    with pytest.raises(HistoryError, match="cannot open the run history"):
        connect_sqlite(str(path))


def test_recording_a_run_imports_neither_sqlite3_nor_datetime(tmp_path: Path) -> None:
    code = (
        "import json, sys; before = set(sys.modules)\n"
        "from squall.journal.history import open_history\n"
        "from squall.journal.history.record import RunRecord\n"
        f"history = open_history({str(tmp_path / 'h.sqlite3')!r})\n"
        "record = RunRecord(run_id='abc123', title='t', experiment_hash='h', "
        "started_at='2026-12-05T00:00:00+00:00')\n"
        "history.start(record)\n"
        "history.finish(record.replace(status='completed', outcome='held', exit_code=0))\n"
        "history.close()\n"
        "print(json.dumps(sorted({'sqlite3', 'datetime'} & (set(sys.modules) - before))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    # and the run is there, read through the sqlite3 package
    history = open_history(str(tmp_path / "h.sqlite3"))
    try:
        record = history.get("abc123")
        assert isinstance(record, RunRecord)
        assert (record.status, record.exit_code) == ("completed", 0)
    finally:
        history.close()


def test_the_wal_left_between_runs_stays_small(tmp_path: Path) -> None:
    """A close leaves the WAL (no checkpoint, on every Python: setconfig on >= 3.12, a
    read-only connection held across the close on 3.11); the next run reads all of it:
    a commit checkpoints it past WAL_PAGES."""
    from squall.journal.history.sqlite import WAL_PAGES

    path = tmp_path / "h.sqlite3"
    wal = tmp_path / "h.sqlite3-wal"
    sizes = []
    first = 0
    for n in range(60):  # as runs record themselves: a commit at the start, one at the end
        connection = connect_sqlite(str(path))
        connection.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER, data TEXT)")
        connection.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 100))
        connection.commit()
        connection.execute("UPDATE t SET data = ? WHERE n = ?", ("x" * 8000, n))
        connection.commit()
        connection.close()
        sizes.append(wal.stat().st_size)
        first = first or path.stat().st_size
    assert all(0 < size <= (WAL_PAGES + 10) * (4096 + 24) + 32 for size in sizes)
    assert path.stat().st_size > first  # commits past WAL_PAGES copied pages back
    connection = connect_sqlite(str(path))
    try:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 60
    finally:
        connection.close()


def test_a_close_neither_checkpoints_nor_deletes_the_wal(tmp_path: Path) -> None:
    """What made a run's history cost four disk syncs on Python 3.11: the last close
    checkpointed (two syncs) and deleted the WAL, which the next run created again (two
    more). The file's pages stay in the WAL after a close, and a later connection, of
    this process or another, reads them."""
    path = tmp_path / "h.sqlite3"
    connection = connect_sqlite(str(path))
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.commit()
    connection.close()
    size = path.stat().st_size
    for n in range(3):
        connection = connect_sqlite(str(path))
        connection.execute("INSERT INTO t VALUES (?)", (n,))
        connection.commit()
        connection.close()
        assert (tmp_path / "h.sqlite3-wal").stat().st_size > 0
        assert path.stat().st_size == size  # nothing was copied back into the file
    code = (
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "print(c.execute('SELECT count(*) FROM t').fetchone()[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "3"


def test_a_reader_that_cannot_open_leaves_the_close_as_before(tmp_path: Path) -> None:
    """The read-only connection held across the close is an optimisation: when it cannot
    open, the close checkpoints (and the data is there either way)."""
    path = tmp_path / "h.sqlite3"
    connection = connect_sqlite(str(path))
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    connection.commit()
    if getattr(connection, "reader_uri", ""):
        connection.reader_uri = "file://nowhere?mode=ro"
        connection.close()
        assert not (tmp_path / "h.sqlite3-wal").exists()
    else:  # Python >= 3.12: setconfig, no reader
        connection.close()
    again = connect_sqlite(str(path))
    try:
        assert again.execute("SELECT n FROM t").fetchall() == [(1,)]
    finally:
        again.close()
