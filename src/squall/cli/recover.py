"""``squall recover``: finish a run that was killed, crashed, or left rollbacks owed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from squall.cli.console import Console
from squall.cli.history import history_options, open_cli_history
from squall.cli.report import run_report_options
from squall.errors import printable
from squall.show import counted, show_value

if TYPE_CHECKING:
    from squall.engine.recover import Unrecovered
    from squall.journal.history import RunHistory
    from squall.journal.model import Journal

__all__ = ["recover"]


@click.command()
@click.argument("target", metavar="RUN_ID|JOURNAL", required=False)
@click.option(
    "--list",
    "list_runs",
    is_flag=True,
    help="List the runs that can be recovered (and the rollbacks each owes), then exit.",
)
@click.option("--json", "as_json", is_flag=True, help="With --list: one JSON document.")
@click.option(
    "--discard",
    is_flag=True,
    help="Do not recover RUN_ID: delete its event file (its owed rollbacks are never played).",
)
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="KEY[:TYPE]=VALUE",
    help="Configuration value (the run's own --var values are kept; this overrides them).",
)
@click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="JSON/YAML file with configuration/secrets (inline secrets are not kept), or .env.",
)
@history_options
@run_report_options
@click.pass_context
def recover(
    ctx: click.Context,
    target: str | None,
    list_runs: bool,
    as_json: bool,
    discard: bool,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    history: str | None,
    no_history: bool,
    reports: tuple[str, ...],
    junit: str | None,
) -> int:
    """Finish a run that was killed, crashed, or stopped with rollbacks owed: play the
    rollbacks its strategy still owes (a finished one is never played again) and write
    its journal where the run would have.

    RUN_ID (or a unique prefix of it) names the run, as `--list` shows it; JOURNAL, the
    --journal-path the run used, finds it too. Works from any directory: the run's event
    stream holds the experiment as it ran. Exit 0 when every owed rollback succeeded,
    3 when one failed, 130 when interrupted with rollbacks still owed, 2 when there is
    nothing to recover.

    The reports the run was asked for (its --report/--junit, or the `reports` setting)
    are written once it is recovered, covering the runs of its suite before it too;
    --report/--junit given here replace them.
    """
    from squall.cli.reports_kept import settle_reports
    from squall.cli.run import load_cli_settings, read_sourced_overrides
    from squall.engine.recover import find_stream, recover_run, unrecovered
    from squall.errors import InputError
    from squall.journal.model import RunStatus

    settings: dict[str, Any] = load_cli_settings(ctx)
    if list_runs:
        _print_list(unrecovered(settings), as_json)
        return 0
    if not target:
        raise InputError("give the RUN_ID (or JOURNAL) of the run to recover, or --list")
    if discard:
        return _discard(find_stream(target))
    asked = _asked_reports(reports, junit, settings)
    overrides, secret_overrides, shared = read_sourced_overrides(variables, var_files)
    store = open_cli_history(history, no_history, settings)
    try:
        events = _stream_of(target, store, find_stream)
        journal_path = _journal_of(events)
        console = Console(source=target, json_lines=ctx.obj["json"])
        before = _played(events)
        journal = recover_run(
            events,
            overrides=overrides,
            secret_overrides=secret_overrides,
            shared_keys=shared,
            settings=settings,
            listener=console,
            history=store,
        )
    finally:
        if store is not None:
            store.close()
    played = [r for r in journal.rollbacks if r is not None][before:]
    failed = [r for r in played if r.status is RunStatus.FAILED]
    owed = os.path.exists(events)
    sys.stderr.write(
        f"squall: recovered run {journal.run_id}: {counted(len(played), 'rollback')} played, "
        f"{len(failed)} failed; journal: {journal_path}\n"
    )
    _write_reports(journal, journal_path, asked, ctx.obj["json"])
    settle_reports(journal.run_id, events)
    if owed:
        sys.stderr.write(f"squall: rollbacks are still owed: `squall recover {journal.run_id}`\n")
        return 130
    return 3 if failed else 0


def _asked_reports(
    reports: tuple[str, ...], junit: str | None, settings: dict[str, Any]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The reports given to ``recover`` and those of the ``reports`` setting, checked
    before anything is played (made absolute: the recovery works in the run's directory).

    Raises:
        click.BadParameter: an unknown format or an empty path (exit 2).
    """
    from squall.cli.report import report_targets

    given = report_targets(reports, junit, {}) if reports or junit else []
    configured = report_targets((), None, settings) if settings.get("reports") else []
    return (
        [(fmt, os.path.abspath(path)) for fmt, path in given],
        [(fmt, os.path.abspath(path)) for fmt, path in configured],
    )


def _write_reports(
    journal: Journal,
    journal_path: str,
    asked: tuple[list[tuple[str, str]], list[tuple[str, str]]],
    json_lines: bool,
) -> None:
    """The recovered run's reports: those given to ``recover``, else those the run was
    given (over its suite's journals, read back: earlier runs'), else the ``reports``
    setting's. The recovered run's own part is made from the journal it holds, as
    ``squall run`` makes it (never read back)."""
    from squall.cli.report import report_of_text, write_run_reports
    from squall.cli.reports_kept import kept_reports
    from squall.journal.store import format_journal

    given, configured = asked
    kept = kept_reports(journal.run_id)
    targets = given or (kept.targets if kept else configured)
    if not targets:
        return
    journals: list[Any] = [j for j in kept.journals if os.path.exists(j)] if kept else []
    journals = [j for j in journals if j != journal_path]
    own = report_of_text(format_journal(journal.to_document()), journal_path)
    journals.append(own or journal_path)
    write_run_reports(targets, journals, json_lines=json_lines)


def _discard(events: str) -> int:
    """Delete a stopped run's event file, after saying what it still owed.

    Raises:
        InputError: the run is still going (or being recovered).
    """
    from squall.engine.recover import unrecovered
    from squall.errors import InputError
    from squall.journal.recovery import is_locked

    if is_locked(events):
        raise InputError(f"{events} is held by a squall process: the run is still going")
    owed = next((r.owed for r in unrecovered() if r.info.path == events), ())
    os.remove(events)
    from squall.cli.reports_kept import forget_reports

    forget_reports(os.path.basename(events).removesuffix(".events.jsonl"))
    names = f" ({', '.join(owed)})" if owed else ""
    sys.stderr.write(
        f"squall: discarded {events}: its {counted(len(owed), 'owed rollback')}{names} will "
        f"not be played\n"
    )
    return 0


def _journal_of(events: str) -> str:
    """Where the recovered journal goes: the run's (absolute) journal path."""
    from squall.journal.recovery import read_start

    start = read_start(events) or {}
    return str(start.get("journal_path") or events.removesuffix(".events.jsonl"))


def _stream_of(target: str, store: RunHistory | None, find: Any) -> str:
    """The run's event stream: in the recovery directory, else the one the run history
    knows for a run id (a stream written by an older squall).

    Raises:
        InputError: nothing to recover.
    """
    from squall.errors import InputError
    from squall.journal.history import HistoryError

    try:
        events: str = find(target)
    except InputError:
        if store is None or os.sep in target or target.endswith((".json", ".yaml", ".yml")):
            raise
        try:
            record = store.get(target)
        except HistoryError:
            raise InputError(
                f"no unrecovered run {show_value(target)}: nothing to recover"
            ) from None
        if record.events_path is None or not os.path.exists(record.events_path):
            if not record.finished:
                raise InputError(_end_missed(store, record)) from None
            raise InputError(
                f"run {record.run_id} finished ({record.outcome or record.status}); "
                f"nothing to do (its journal: {record.journal_path})"
            ) from None
        events = record.events_path
    return events


def _end_missed(store: RunHistory, record: Any) -> str:
    """A run the history still calls ``running`` whose event stream is gone: it ended
    (a run's stream is removed only when it ends or is recovered) while its end could not
    be recorded (the history was unreachable then). Its journal, when it is this run's,
    gives the end, which is recorded now. Returns what to say (nothing to recover)."""
    from squall.journal.history import HistoryError
    from squall.journal.store import read_journal

    path = record.journal_path or ""
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc = read_journal(path)
        verdict = doc["squall"]
        if verdict["run_id"] != record.run_id:
            raise ValueError("another run's journal")
        ended = record.replace(
            status=str(doc["status"]),
            outcome=str(verdict["outcome"]),
            exit_code=int(verdict["exit_code"]),
            ended_at=str(doc.get("end") or "") or None,
            duration=float(doc["duration"]) if doc.get("duration") is not None else None,
            journal=text,
        )
        store.finish(ended)
    except (OSError, ValueError, KeyError, TypeError, HistoryError):
        return (
            f"run {record.run_id} left no event stream, so nothing is owed: it ended, but "
            f"its end is not in the run history and its journal ({path or 'none'}) is not "
            "there or is another run's; nothing to recover"
        )
    return (
        f"run {record.run_id} ended ({ended.outcome}, exit {ended.exit_code}) while the run "
        f"history could not record it: recorded now from its journal ({path}); "
        "nothing to recover"
    )


def _played(events: str) -> int:
    """How many rollbacks had finished before recovery (to report only the new ones)."""
    from squall.journal.stream import read_event_stream

    try:
        return len(read_event_stream(events).journal.rollbacks)
    except (OSError, ValueError):
        return 0


def _print_list(runs: list[Unrecovered], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"runs": [r.to_dict() for r in runs]}, indent=2))
        return
    if not runs:
        sys.stderr.write("squall: no run to recover\n")
        return
    click.echo(f"{'RUN ID':<14}{'STARTED':<27}{'STATE':<22}EXPERIMENT")
    for run in runs:
        info = run.info
        if info.running:
            state = f"running (pid {info.start.get('pid')})"
        elif run.problem:
            state = "unreadable"
        else:
            state = f"{counted(len(run.owed), 'rollback')} owed"
        where = info.start.get("source") or ""
        title = printable(info.title)
        click.echo(f"{info.run_id:<14}{info.started[:25]:<27}{state:<22}{title} {where}")
        if run.owed:
            click.echo(f"{'':<14}owed: {', '.join(run.owed)}")
        if run.problem:
            click.echo(f"{'':<14}{run.problem}")
