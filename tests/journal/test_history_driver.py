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
    """Python >= 3.12 leaves the WAL at close (no checkpoint); the next run reads all of
    it: a commit checkpoints it past WAL_PAGES. Python 3.11 checkpoints at every close."""
    from squall.journal.history.sqlite import WAL_PAGES

    path = tmp_path / "h.sqlite3"
    for n in range(60):  # as runs record themselves: a commit at the start, one at the end
        connection = connect_sqlite(str(path))
        connection.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER, data TEXT)")
        connection.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 100))
        connection.commit()
        connection.execute("UPDATE t SET data = ? WHERE n = ?", ("x" * 8000, n))
        connection.commit()
        connection.close()
    wal = tmp_path / "h.sqlite3-wal"
    if hasattr(sqlite3.Connection, "setconfig"):
        assert 0 < wal.stat().st_size <= (WAL_PAGES + 10) * (4096 + 24) + 32
    else:
        assert not wal.exists()
    connection = connect_sqlite(str(path))
    try:
        assert connection.execute("SELECT count(*) FROM t").fetchone()[0] == 60
    finally:
        connection.close()
