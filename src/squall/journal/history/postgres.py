"""The PostgreSQL run store (a team's shared history), through psycopg 3 (extra
``squall[postgres]``)."""

from __future__ import annotations

from typing import Any

from squall.journal.history.store import HistoryError

__all__ = ["connect_postgres", "postgres_errors", "vacuum_postgres"]


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise HistoryError(
            "a PostgreSQL run history needs psycopg: pip install 'psycopg[binary]' "
            "(or, in a clone of squall, pip install -e '.[postgres]')"
        ) from None
    return psycopg


def postgres_errors() -> tuple[type[Exception], ...]:
    return (_psycopg().Error,)


def connect_postgres(url: str) -> Any:
    """A connection to the database at ``url``.

    Raises:
        HistoryError: psycopg is missing or the server cannot be reached.
    """
    psycopg = _psycopg()
    try:
        return psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        from squall.masking import redact_url

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HistoryError(
            f"cannot connect to the run history {redact_url(url)}: {first}; choose "
            "another place with --history PATH|URL (or SQUALL_HISTORY, or the history "
            "setting), or turn it off with --no-history"
        ) from None


def vacuum_postgres(connection: Any) -> None:
    """VACUUM the table: the space of deleted runs is reused by the next ones (a plain
    VACUUM takes no lock that stops other squall processes; it returns space to the
    operating system only at the table's end)."""
    connection.commit()
    connection.autocommit = True
    try:
        connection.execute("VACUUM squall_runs")
    finally:
        connection.autocommit = False
