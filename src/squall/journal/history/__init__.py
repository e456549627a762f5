"""Run history: every run, kept in an embedded SQLite file (or a team's PostgreSQL).

A run is recorded when it starts (status ``running``, so a killed run stays visible) and
updated when it ends or is recovered. ``open_history`` picks the store from a target:
a file path (SQLite, the default under the user's data directory) or a
``postgresql://`` URL. Nothing here is imported on a plain ``squall --version``; sqlite3
and psycopg are imported only when a store is opened.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from squall.journal.history.record import RunRecord, experiment_hash
from squall.journal.history.store import HistoryError, RunHistory, UnknownRun
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "HistoryError",
    "RunHistory",
    "RunRecord",
    "UnknownRun",
    "default_history_path",
    "default_target",
    "experiment_hash",
    "is_off",
    "open_history",
]

#: values of SQUALL_HISTORY / the ``history`` setting that turn history off
_OFF = {"off", "none", "no", "false", "0", "disabled"}


def is_off(target: str) -> bool:
    return target.strip().lower() in _OFF


def default_target(settings: Mapping[str, Any]) -> str | None:
    """The store a run records in when none is named: ``$SQUALL_HISTORY``, else the
    ``history`` setting, else ``""`` (the default SQLite file); None when turned off.

    Raises:
        HistoryError: the ``history`` setting is not text.
    """
    target = os.environ.get("SQUALL_HISTORY") or settings.get("history") or ""
    if not isinstance(target, str):
        raise HistoryError("the `history` setting must be a path, a postgresql:// URL or `off`")
    return None if is_off(target) else target


def default_history_path() -> str:
    """``history.sqlite3`` in the user's data directory, as platformdirs names it."""
    return os.path.join(_user_data_dir(), "history.sqlite3")


def _user_data_dir() -> str:
    """platformdirs' user data directory of squall. On Linux its rule (XDG) is applied
    here: importing platformdirs costs about 15 ms (pathlib, tempfile, ...), more than
    recording the run; tests/journal/test_history.py checks both agree."""
    if sys.platform == "linux":
        base = os.environ.get("XDG_DATA_HOME", "")
        if not base.strip():
            base = os.path.expanduser("~/.local/share")
        return os.path.join(base, "squall")
    import platformdirs

    return platformdirs.user_data_dir("squall", appauthor=False)


def open_history(target: str | None) -> RunHistory:
    """Open (and create if needed) the store named by ``target``: a path, ``sqlite:///path``,
    or ``postgresql://...``; None or empty means the default SQLite file.

    Raises:
        HistoryError: the store cannot be opened (message says which and why).
    """
    target = (target or "").strip()
    if target.startswith(("postgresql://", "postgres://")):
        from squall.journal.history.postgres import (
            connect_postgres,
            postgres_errors,
            vacuum_postgres,
        )
        from squall.masking import redact_url

        return RunHistory(
            connect_postgres(target),
            "%s",
            redact_url(target),
            postgres_errors(),
            vacuum_postgres,
        )
    if target.startswith("sqlite:///"):
        target = target[len("sqlite://") :]
    elif "://" in target:
        raise HistoryError(
            f"run history {show_value(target)}: unknown kind of store "
            "(give a file path for SQLite, or a postgresql:// URL)"
        )
    from squall.journal.history.sqlite import connect_sqlite, sqlite_errors, vacuum_sqlite

    path = os.path.abspath(os.path.expanduser(target or default_history_path()))
    return RunHistory(
        connect_sqlite(path), "?", path, sqlite_errors(), vacuum_sqlite, compress=True
    )
