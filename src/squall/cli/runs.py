"""``squall runs list|show|diff|prune|report|attach|import``: the run history (and following a
Temporal run to its end)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from squall.cli.history import history_options, open_cli_history
from squall.cli.runs_import import IMPORTED, import_runs
from squall.cli.temporal_options import temporal_options
from squall.errors import printable
from squall.show import counted

if TYPE_CHECKING:
    from squall.journal.history import RunHistory, RunRecord
    from squall.temporal.options import ConnectOptions

__all__ = ["open_store", "runs"]

_OUTCOMES = ["held", "deviated", "broken", "not-run", "interrupted"]
#: the largest --limit: SQLite and PostgreSQL hold 64-bit integers, more is refused
_MOST_RUNS = 2**63 - 1


@contextmanager
def open_store(ctx: click.Context, history: str | None, no_history: bool) -> Iterator[RunHistory]:
    from squall.cli.run import load_cli_settings
    from squall.errors import InputError

    store = open_cli_history(history, no_history, load_cli_settings(ctx))
    if store is None:
        raise InputError("the run history is turned off (--no-history, or SQUALL_HISTORY=off)")
    try:
        yield store
    finally:
        store.close()


def _state(record: RunRecord) -> str:
    """The outcome, or ``running``; a run whose process on this machine is gone is
    ``stopped`` (killed or crashed: ``squall recover`` it)."""
    if record.finished:
        return record.outcome or record.status
    if record.pid and record.node == os.uname().nodename:
        try:
            os.kill(record.pid, 0)
        except ProcessLookupError:
            return "stopped"
        except PermissionError:
            pass
    return "running"


@click.group()
def runs() -> None:
    """List, show and compare past runs (the run history)."""


@runs.command("list")
@click.option("--experiment", default=None, help="Only runs of this title (part), hash or path.")
@click.option("--outcome", type=click.Choice([*_OUTCOMES, "running"]), default=None)
@click.option("--limit", type=click.IntRange(min=1, max=_MOST_RUNS), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one array).")
@history_options
@click.pass_context
def list_runs(
    ctx: click.Context,
    experiment: str | None,
    outcome: str | None,
    limit: int,
    as_json: bool,
    history: str | None,
    no_history: bool,
) -> int:
    """List runs, newest first."""
    with open_store(ctx, history, no_history) as store:
        status = "running" if outcome == "running" else None
        found = store.runs(
            experiment=experiment,
            outcome=None if status else outcome,
            status=status,
            limit=limit,
        )
    if as_json:
        click.echo(json.dumps([{**r.summary(), "state": _state(r)} for r in found], indent=2))
        return 0
    if not found:
        sys.stderr.write(f"squall: no runs in {store.where}\n")
        return 0
    wide = max(12, *(len(r.run_id) for r in found))  # a schedule's ids are longer
    click.echo(
        f"{'RUN ID':<{wide}}  {'STARTED (UTC)':<19}  {'OUTCOME':<11}  EXIT  {'TIME':>8}  TITLE"
    )
    for r in found:
        took = f"{r.duration:.2f}s" if r.duration is not None and r.finished else "-"
        code = "-" if r.exit_code is None else str(r.exit_code)
        click.echo(
            f"{r.run_id:<{wide}}  {r.started_at[:19].replace('T', ' '):<19}  {_state(r):<11}  "
            f"{code:>4}  {took:>8}  {printable(r.title)}"
        )
    return 0


@runs.command("show")
@click.argument("run_id")
@click.option("--journal", "show_journal", is_flag=True, help="Print the run's stored journal.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@history_options
@click.pass_context
def show_run(
    ctx: click.Context,
    run_id: str,
    show_journal: bool,
    as_json: bool,
    history: str | None,
    no_history: bool,
) -> int:
    """Show one run (RUN_ID may be a unique prefix)."""
    from squall.errors import InputError

    with open_store(ctx, history, no_history) as store:
        record = store.get(run_id)
    if show_journal:
        if not record.journal:
            raise InputError(
                f"run {record.run_id} has no stored journal: it has not finished "
                f"({_state(record)}); `squall recover {record.run_id}` finishes a killed run"
            )
        sys.stdout.write(record.journal)
        return 0
    if as_json:
        click.echo(json.dumps({**record.summary(), "state": _state(record)}, indent=2))
        return 0
    click.echo(_describe(record))
    return 0


@runs.command("attach")
@click.argument("run_id")
@click.option(
    "--journal-path",
    default="./journal.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the run's journal when it ends.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and the verdict.")
@history_options
@temporal_options
@click.pass_context
def attach(
    ctx: click.Context,
    run_id: str,
    journal_path: str,
    quiet: bool,
    history: str | None,
    no_history: bool,
    connection: ConnectOptions,
) -> int:
    """Follow a Temporal run (`squall run --engine temporal --detach`, a schedule, or one
    whose command line died) to its end: its progress, its journal, its history record
    and its exit code, as `squall run` would have given them."""
    from squall.cli.run import load_cli_settings
    from squall.cli.temporal_run import attach_run

    store = open_cli_history(history, no_history, load_cli_settings(ctx))
    try:
        return attach_run(
            ctx.find_root().obj,
            run_id,
            connection=connection,
            journal_path=journal_path,
            quiet=quiet,
            history=store,
        )
    finally:
        if store is not None:
            store.close()


def _events(record: RunRecord) -> str:
    if (record.squall_version or "").endswith(IMPORTED):
        return "- (an imported journal)"
    if record.events_path is None:
        return "- (not streamed: --no-events)"
    if record.finished and not os.path.exists(record.events_path):
        return f"{record.events_path} (removed when the run ended)"
    return record.events_path


def _describe(record: RunRecord) -> str:
    state = _state(record)
    rows = [
        ("run", record.run_id),
        ("experiment", f"{record.title} ({record.experiment_hash[:12]})"),
        ("source", record.source or "-"),
        ("state", state + (" (recovered)" if record.recovered else "")),
        ("exit code", "-" if record.exit_code is None else str(record.exit_code)),
        ("started", record.started_at),
        ("ended", record.ended_at or "-"),
        ("duration", f"{record.duration:.3f}s" if record.duration is not None else "-"),
        ("journal", record.journal_path or "-"),
        ("events", _events(record)),
        ("node", f"{record.node or '-'} (pid {record.pid or '-'})"),
        ("squall", record.squall_version or "-"),
    ]
    data = record.journal_data() or {}
    own = data.get("squall")  # an imported journal's may be anything
    reasons = own.get("reasons") if isinstance(own, dict) else None
    if isinstance(reasons, str):
        reasons = [reasons]
    reasons = (reasons if isinstance(reasons, list) else []) or _judged(record, data)
    if reasons:
        rows.append(("why", "; ".join(str(r) for r in reasons)))
    if state == "stopped":
        rows.append(("next", f"squall recover {record.run_id}"))
    return "\n".join(f"{name + ':':<12}{printable(value)}" for name, value in rows)


def _judged(record: RunRecord, data: dict[str, Any]) -> list[str]:
    """The reasons of an imported Chaos Toolkit run (its journal has none of squall's),
    judged as ``squall report`` judges it; none for other runs."""
    if not data or not (record.squall_version or "").endswith(IMPORTED):
        return []
    from squall.report import report_from_journal

    return [r for r in report_from_journal(data).reasons if r != "the steady state held"]


@runs.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@history_options
@click.pass_context
def diff_runs_command(
    ctx: click.Context,
    run_a: str,
    run_b: str,
    as_json: bool,
    history: str | None,
    no_history: bool,
) -> int:
    """What changed from RUN_A to RUN_B: verdict, probes' tolerances, activities'
    statuses, durations and outputs."""
    from squall.errors import InputError
    from squall.journal.history.diff import diff_runs, format_diff

    with open_store(ctx, history, no_history) as store:
        a, b = store.get(run_a), store.get(run_b)
    for record in (a, b):
        if not record.journal:
            raise InputError(f"run {record.run_id} has not finished ({_state(record)}): no journal")
    diff: dict[str, Any] = diff_runs(a, b)
    if as_json:
        click.echo(json.dumps(diff, indent=2, default=str))
    else:
        sys.stdout.write(format_diff(diff))
    return 0


@runs.command("prune")
@click.option(
    "--keep", type=click.IntRange(min=0), default=None, help="Keep the newest N finished runs."
)
@click.option(
    "--older-than",
    "older_than",
    type=click.FloatRange(min=0),
    default=None,
    help="Delete finished runs started more than DAYS days ago.",
    metavar="DAYS",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@history_options
@click.pass_context
def prune_runs(
    ctx: click.Context,
    keep: int | None,
    older_than: float | None,
    dry_run: bool,
    history: str | None,
    no_history: bool,
) -> int:
    """Delete old runs from the history (unfinished runs are always kept)."""
    from datetime import UTC, datetime, timedelta

    from squall.errors import InputError

    if keep is None and older_than is None:
        raise InputError(
            "say what to delete: --keep N (keep the newest N runs), --older-than DAYS, or both"
        )
    before = None
    if older_than is not None:
        before = (datetime.now(UTC) - timedelta(days=older_than)).isoformat()
    with open_store(ctx, history, no_history) as store:
        doomed = store.prune(keep=keep, before=before, dry_run=dry_run)
        for run_id in doomed:
            click.echo(run_id)
        verb = "would delete" if dry_run else "deleted"
        click.echo(
            f"{verb} {counted(len(doomed), 'run')}{_reclaimed(store, not dry_run)}",
            err=True,
        )
    return 0


def _reclaimed(store: RunHistory, wanted: bool) -> str:
    """Give the space of deleted runs back (these and earlier ones); say how much (a busy
    store keeps it until the next prune, with a warning: the runs are deleted either way)."""
    from squall.journal.history import HistoryError

    if not wanted:
        return ""
    try:
        freed = store.reclaim()
    except HistoryError as exc:
        return f" (the disk space was not reclaimed: {exc}; prune again later)"
    return f"; {freed / 1e6:.1f} MB of disk space reclaimed" if freed else ""


@runs.command("report")
@click.option(
    "-o",
    "--output",
    default="history.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The page; each run's report goes in OUTPUT-runs/ beside it.",
)
@click.option("--experiment", default=None, help="Only runs of this title (part), hash or path.")
@click.option("--limit", type=click.IntRange(min=1, max=_MOST_RUNS), default=500, show_default=True)
@history_options
@click.pass_context
def report_runs(
    ctx: click.Context,
    output: str,
    experiment: str | None,
    limit: int,
    history: str | None,
    no_history: bool,
) -> int:
    """The run history as one HTML page: per experiment, verdicts over time, the
    duration trend, the last failure and why; each run links to its own report."""
    from squall.report.history import write_history

    with open_store(ctx, history, no_history) as store:
        found = [store.get(r.run_id) for r in store.runs(experiment=experiment, limit=limit)]
        where = store.where
    written, folder = write_history(found, output, _state, where, limit)
    click.echo(
        f"squall: run history of {counted(len(found), 'run')} written to {output} "
        f"({counted(written, 'run report')} in {folder}/)",
        err=True,
    )
    return 0


runs.add_command(import_runs)
