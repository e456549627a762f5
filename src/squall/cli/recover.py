"""``squall recover``: finish a run that was killed or crashed."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from squall.cli.console import Console
from squall.cli.history import history_options, open_cli_history

if TYPE_CHECKING:
    from squall.journal.history import RunHistory

__all__ = ["recover"]


@click.command()
@click.argument("target", metavar="JOURNAL|RUN_ID")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="KEY[:TYPE]=VALUE",
    help="Configuration value the rollbacks need (as given to the run).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="JSON/YAML file with configuration/secrets, or a .env file.",
)
@history_options
@click.pass_context
def recover(
    ctx: click.Context,
    target: str,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    history: str | None,
    no_history: bool,
) -> int:
    """Finish a run that was killed or crashed: play the rollbacks its strategy owes
    (each finished rollback is not played again) and write its journal.

    JOURNAL is the --journal-path the run used; its event stream JOURNAL.events.jsonl
    holds what happened. RUN_ID (or a unique prefix of it) finds that file through the
    run history. Exit 0 when every owed rollback succeeded, 3 otherwise.
    """
    from squall.cli.run import load_cli_settings, read_overrides
    from squall.engine.recover import recover_journal
    from squall.journal.model import RunStatus

    settings: dict[str, Any] = load_cli_settings(ctx)
    overrides, secret_overrides = read_overrides(variables, var_files)
    store = open_cli_history(history, no_history, settings)
    try:
        journal_path = _journal_path(target, store)
        console = Console(source=journal_path, json_lines=ctx.obj["json"])
        before = _played(journal_path)
        journal = recover_journal(
            journal_path,
            overrides=overrides,
            secret_overrides=secret_overrides,
            settings=settings,
            listener=console,
            history=store,
        )
    finally:
        if store is not None:
            store.close()
    played = [r for r in journal.rollbacks if r is not None][before:]
    failed = [r for r in played if r.status is RunStatus.FAILED]
    sys.stderr.write(
        f"squall: recovered run {journal.run_id}: {len(played)} rollback(s) played, "
        f"{len(failed)} failed; journal: {journal_path}\n"
    )
    return 3 if failed else 0


def _journal_path(target: str, store: RunHistory | None) -> str:
    """The journal path given, or the one the run history knows for a run id.

    Raises:
        HistoryError: a run id matches no run (or several) in the history.
        InputError: the run wrote no journal file, or already finished.
    """
    from squall.errors import InputError
    from squall.journal.store import events_path_for

    looks_like_path = os.sep in target or target.endswith((".json", ".yaml", ".yml"))
    if store is None or looks_like_path or os.path.exists(events_path_for(target)):
        return target
    record = store.get(target)
    if record.journal_path is None:
        raise InputError(f"run {record.run_id} wrote no journal file: nothing to recover")
    if record.finished and not os.path.exists(events_path_for(record.journal_path)):
        raise InputError(
            f"run {record.run_id} finished ({record.outcome or record.status}); "
            f"nothing to do (its journal: {record.journal_path})"
        )
    return record.journal_path


def _played(journal_path: str) -> int:
    """How many rollbacks had finished before recovery (to report only the new ones)."""
    from squall.journal.store import events_path_for
    from squall.journal.stream import read_event_stream

    try:
        return len(read_event_stream(events_path_for(journal_path)).journal.rollbacks)
    except (OSError, ValueError):
        return 0
