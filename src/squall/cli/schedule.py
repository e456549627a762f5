"""``squall schedule add|list|pause|delete``: experiments run on Temporal Schedules.

Each fire starts a normal Temporal run (a ``squall worker`` runs it, records it in the
worker's run history and writes its journal there): see docs/scale-out.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from squall.cli.temporal_options import temporal_options
from squall.show import show_value

if TYPE_CHECKING:
    from temporalio.client import Client

    from squall.temporal.options import ConnectOptions

__all__ = ["schedule"]

_T = TypeVar("_T")


def _with_client(connection: ConnectOptions, work: Callable[[Client], Awaitable[_T]]) -> _T:
    from temporalio.service import RPCError

    from squall.temporal.connect import connect, explain_rpc_error

    async def main() -> _T:
        client = await connect(connection)
        try:
            return await work(client)
        except RPCError as exc:  # one the operation did not expect: one line, no traceback
            raise explain_rpc_error(exc, connection) from None

    return asyncio.run(main())


@click.group()
def schedule() -> None:
    """Run experiments on a schedule (Temporal Schedules; needs a squall worker)."""


@schedule.command("add")
@click.argument("name")
@click.argument("source", metavar="EXPERIMENT")
@click.option(
    "--every", default=None, metavar="DURATION", help="Interval: 90s, 15m, 1h, 1h30m, 2d."
)
@click.option(
    "--cron", default=None, metavar="EXPR", help="Cron expression (5 fields) or @hourly, @daily..."
)
@click.option("--timezone", default="UTC", show_default=True, help="Time zone of --cron.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="KEY[:TYPE]=VALUE",
    help="Override a configuration value.",
)
@click.option(
    "--var-file", "var_files", multiple=True, type=click.Path(exists=True, dir_okay=False)
)
@click.option("--no-verify-tls", is_flag=True, help="Do not verify TLS when loading from a URL.")
@temporal_options
@click.pass_context
def schedule_add(
    ctx: click.Context,
    name: str,
    source: str,
    every: str | None,
    cron: str | None,
    timezone: str,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    no_verify_tls: bool,
    connection: ConnectOptions,
) -> int:
    """Run EXPERIMENT as NAME every DURATION or on a cron expression.

    The experiment is read, checked and stored in the schedule now: a later change to the
    file needs `schedule delete` and `add` again. Each run's id is NAME-<fire time>."""
    from squall.temporal import schedules
    from squall.temporal.spec import check_cron, check_timezone, parse_every

    schedules.check_name(name)
    if (every is None) == (cron is None):
        raise click.UsageError("give exactly one of --every and --cron")
    timing = schedules.Timing(
        parse_every(every) if every is not None else None,
        check_cron(cron) if cron is not None else None,
        check_timezone(timezone),
    )
    prepared = _prepare(ctx, source, variables, var_files, no_verify_tls, connection)
    if prepared is None:
        return 2
    run_input, memo = prepared

    async def add(client: Client) -> bool:
        await schedules.add(client, name, run_input, run_input.task_queue, timing, memo)
        return await schedules.has_workers(client, run_input.task_queue)

    served = _with_client(connection, add)
    sys.stderr.write(
        f"squall: schedule {show_value(name)} added: {timing.describe()}, runs "
        f"{memo['experiment']} on "
        f"task queue {show_value(run_input.task_queue)} ({connection.address}, namespace "
        f"{connection.namespace}); run ids are {name}-<fire time>\n"
    )
    if not served:
        sys.stderr.write(
            f"squall: warning: no worker polls task queue {show_value(run_input.task_queue)} now: "
            "its runs wait until one does (squall worker, see docs/scale-out.md)\n"
        )
    return 0


def _prepare(
    ctx: click.Context,
    source: str,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    no_verify_tls: bool,
    connection: ConnectOptions,
) -> tuple[Any, dict[str, Any]] | None:
    """The run input (as ``squall run --engine temporal`` makes it) and the schedule's
    memo; None when the experiment's format is not valid (its problems printed)."""
    from squall.api import parse_document
    from squall.cli.runcore import (
        load_cli_document,
        load_cli_settings_file,
        print_problems,
        read_overrides,
    )
    from squall.cli.temporal_run import with_dotenv
    from squall.cli.variables import split_var_files
    from squall.errors import ValidationError
    from squall.plan import PlanOptions, make_plan
    from squall.temporal.inputs import run_input

    var_files, environment = split_var_files(var_files)  # .env: see temporal.dotenv
    if os.path.isfile(source):
        # the fires run and are recorded on workers, whose working directory is not
        # this one: the history (and `schedule list`) name the file by its absolute path
        source = os.path.abspath(source)
    settings = load_cli_settings_file(ctx.find_root().obj.get("settings_path"))
    overrides, secret_overrides = read_overrides(variables, var_files)
    document = load_cli_document(source, no_verify_tls, settings)
    try:
        # the format only, as `run --engine temporal`: imports, executables and the
        # environment are the workers' (each fire's worker checks them before it runs)
        experiment = parse_document(document)
    except ValidationError as exc:
        print_problems(exc)
        return None
    plan = make_plan(experiment, PlanOptions(settings=settings))
    encrypted = bool(connection.keys)
    overrides, secret_overrides = with_dotenv(
        experiment, environment, encrypted, overrides, secret_overrides
    )
    made = run_input(
        plan,
        document.data,
        run_id="",
        task_queue=connection.task_queue,
        overrides=overrides,
        secret_overrides=secret_overrides,
        encrypted=encrypted,
        record_on_worker=True,
    )
    memo = {"experiment": source, "title": str(experiment.raw.get("title", ""))}
    return made, memo


@schedule.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (a list of schedules).")
@temporal_options
def schedule_list(as_json: bool, connection: ConnectOptions) -> int:
    """List the schedules of the namespace: state, timing, next run, last run and how it went."""
    from squall.temporal.schedules import describe_all

    found = _with_client(connection, describe_all)
    if as_json:
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return 0
    if not found:
        sys.stderr.write(f"squall: no schedules in namespace {connection.namespace}\n")
        return 0
    rows = [("NAME", "STATE", "WHEN", "NEXT RUN", "RUNS", "LAST RUN", "OUTCOME", "EXPERIMENT")]
    rows += [
        (
            s["name"],
            s["state"],
            s["timing"],
            s["next_run"] or "-",
            str(s["runs"]),
            s["last_run_id"] or "-",
            s["last_outcome"] or "-",
            s["experiment"] or ("-" if s["squall"] else "(not squall's)"),
        )
        for s in found
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        sys.stdout.write(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    return 0


@schedule.command("pause")
@click.argument("name")
@click.option("--unpause", is_flag=True, help="Resume a paused schedule instead.")
@temporal_options
def schedule_pause(name: str, unpause: bool, connection: ConnectOptions) -> int:
    """Pause the schedule NAME (no new runs; runs going on finish), or --unpause it."""
    from squall.temporal.schedules import pause

    _with_client(connection, lambda client: pause(client, name, paused=not unpause))
    sys.stderr.write(f"squall: schedule {show_value(name)} {'unpaused' if unpause else 'paused'}\n")
    return 0


@schedule.command("delete")
@click.argument("name")
@temporal_options
def schedule_delete(name: str, connection: ConnectOptions) -> int:
    """Delete the schedule NAME (runs it started go on; their history stays)."""
    from squall.temporal.schedules import delete

    _with_client(connection, lambda client: delete(client, name))
    sys.stderr.write(f"squall: schedule {show_value(name)} deleted\n")
    return 0
