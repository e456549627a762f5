"""``squall worker`` and ``squall stop``: the Temporal engine's worker and its stop
button (see docs/scale-out.md)."""

from __future__ import annotations

import sys

import click

from squall.cli.temporal_options import temporal_options
from squall.temporal.options import ConnectOptions

__all__ = ["stop", "worker"]


@click.command()
@temporal_options
@click.option(
    "--max-concurrent",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Most squall activities this worker runs at once.",
)
@click.option(
    "--journal-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write here the journal of each run nobody follows (--detach, schedules) "
    "that this worker finishes (RUN_ID.journal.json); its run-history record is "
    "written to this worker's history ($SQUALL_HISTORY) either way.",
)
@click.option(
    "--shutdown-grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="On SIGINT/SIGTERM, how long running activities may go on before they are "
    "stopped (a method activity is then recorded as failed, a rollback played again "
    "by another worker).",
)
def worker(
    connection: ConnectOptions, max_concurrent: int, journal_dir: str | None, shutdown_grace: float
) -> int:
    """Run experiments' workflows and activities from a task queue (until SIGINT/SIGTERM).

    Start one on each host whose activities should run there; route activities to it
    with `squall: {task_queue: NAME}` in the experiment."""
    import asyncio

    from squall.temporal.connect import connect
    from squall.temporal.worker import serve

    async def main() -> int:
        client = await connect(connection)
        return await serve(
            client,
            connection.task_queue,
            max_concurrent=max_concurrent,
            journal_dir=journal_dir,
            shutdown_grace=shutdown_grace,
        )

    return asyncio.run(main())


@click.command()
@click.argument("run_id")
@click.option("--reason", default="", help="Why (recorded in the journal's interruption).")
@temporal_options
def stop(connection: ConnectOptions, run_id: str, reason: str) -> int:
    """Stop a Temporal run: no further method activity starts, the running ones are
    stopped, and the rollbacks are played as its strategy says (exit 2: no such run)."""
    from squall.cli.temporal_run import stop_run

    stop_run(connection, run_id, reason or f"stopped by squall stop {run_id}")
    sys.stderr.write(f"squall: stop sent to run {run_id}\n")
    return 0
