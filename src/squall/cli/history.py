"""Where the run history is: ``--history`` / ``--no-history``, ``$SQUALL_HISTORY``, the
``history`` setting, else ``history.sqlite3`` in the user's data directory."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall.cli._errors import bad_parameter

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any

    from squall.journal.history import RunHistory

__all__ = ["history_options", "history_target", "open_cli_history"]


def history_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--history TARGET`` and ``--no-history`` (passed as ``history`` and ``no_history``)."""
    import click

    command = click.option(
        "--no-history", is_flag=True, help="Do not use the run history (not recorded)."
    )(command)
    return click.option(
        "--history",
        "history",
        default=None,
        metavar="PATH|URL",
        help="Run history: a SQLite file or a postgresql:// URL "
        "(default: $SQUALL_HISTORY, the `history` setting, else the user's data directory).",
    )(command)


def history_target(
    history: str | None, no_history: bool, settings: Mapping[str, Any]
) -> str | None:
    """The store to use, or None when history is turned off."""
    from squall.journal.history import HistoryError, default_target, is_off

    if no_history:
        return None
    if history:
        return None if is_off(history) else history
    try:
        return default_target(settings)
    except HistoryError as exc:
        raise bad_parameter(str(exc), param_hint="settings") from None


def open_cli_history(
    history: str | None, no_history: bool, settings: Mapping[str, Any]
) -> RunHistory | None:
    """Open the history store named by the options (None when turned off).

    Raises:
        HistoryError: it cannot be opened (exit 2, with the reason and how to change it).
    """
    target = history_target(history, no_history, settings)
    if target is None:
        return None
    from squall.journal.history import open_history

    return open_history(target)
