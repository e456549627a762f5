"""``squall recover``: finish a run that was killed or crashed."""

from __future__ import annotations

import sys
from typing import Any

import click

from squall.cli.console import Console

__all__ = ["recover"]


@click.command()
@click.argument("journal_path", metavar="JOURNAL")
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
@click.pass_context
def recover(
    ctx: click.Context, journal_path: str, variables: tuple[str, ...], var_files: tuple[str, ...]
) -> int:
    """Finish a run that was killed or crashed: play the rollbacks its strategy owes
    (each finished rollback is not played again) and write its journal.

    JOURNAL is the --journal-path the run used; its event stream JOURNAL.events.jsonl
    holds what happened. Exit 0 when every owed rollback succeeded, 3 otherwise.
    """
    from squall.cli.run import load_cli_settings, read_overrides
    from squall.engine.recover import recover_journal
    from squall.journal.model import RunStatus

    settings: dict[str, Any] = load_cli_settings(ctx)
    overrides, secret_overrides = read_overrides(variables, var_files)
    console = Console(source=journal_path, json_lines=ctx.obj["json"])
    before = _played(journal_path)
    journal = recover_journal(
        journal_path,
        overrides=overrides,
        secret_overrides=secret_overrides,
        settings=settings,
        listener=console,
    )
    played = [r for r in journal.rollbacks if r is not None][before:]
    failed = [r for r in played if r.status is RunStatus.FAILED]
    sys.stderr.write(
        f"squall: recovered run {journal.run_id}: {len(played)} rollback(s) played, "
        f"{len(failed)} failed; journal: {journal_path}\n"
    )
    return 3 if failed else 0


def _played(journal_path: str) -> int:
    """How many rollbacks had finished before recovery (to report only the new ones)."""
    from squall.journal.store import events_path_for
    from squall.journal.stream import read_event_stream

    try:
        return len(read_event_stream(events_path_for(journal_path)).journal.rollbacks)
    except (OSError, ValueError):
        return 0
