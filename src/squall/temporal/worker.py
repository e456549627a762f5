"""``squall worker``: polls one task queue, runs the experiment workflows and the squall
activities routed to it.

A worker advertises the drivers it has in its Temporal identity
(``PID@HOST squall VERSION QUEUE drivers: security,network,host``), which
``temporal task-queue describe --task-queue QUEUE`` lists for every poller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from squall.show import counted, show_value
from squall.temporal.activities import BEAT, WorkerActivities, worker_identity
from squall.temporal.codec import PayloadKeyError
from squall.temporal.workflow import ExperimentWorkflow

__all__ = ["SHUTDOWN_GRACE", "installed_drivers", "make_worker", "serve", "workflow_runner"]

#: seconds a worker told to stop (SIGINT, SIGTERM) lets its running activities finish
SHUTDOWN_GRACE = 30.0
#: the most runs whose controls one worker guards at once (activities.guard)
GUARDED_RUNS = 1000
#: seconds between two looks at the runs whose controls a worker holds (one that ended
#: without cleaning them up here has them cleaned up: a safeguard's threads stop)
REAP_EVERY = 10.0


def installed_drivers() -> list[str]:
    """Names of the driver packages installed here (entry points ``squall.drivers``)."""
    from importlib.metadata import entry_points

    return sorted({ep.name for ep in entry_points(group="squall.drivers")})


def workflow_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, letting squall's own (deterministic) modules through: the
    phase machine and the models are I/O-free; the sandbox still refuses the clock,
    randomness and I/O in workflow code."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules("squall")
    return SandboxedWorkflowRunner(restrictions=restrictions)


def make_worker(
    client: Client,
    task_queue: str,
    *,
    max_concurrent: int = 8,
    journal_dir: str | None = None,
    shutdown_grace: float = SHUTDOWN_GRACE,
) -> tuple[list[Worker], WorkerActivities]:
    """The Temporal workers of one ``squall worker``: one for ``task_queue``, running at
    most ``max_concurrent`` squall activities at once (each in a thread of the
    activities' pool, which the caller shuts down), and one for its own queue (the
    hooks of the runs it started: a run's controls keep their state in one process)."""
    pool = ThreadPoolExecutor(max_workers=max_concurrent + 2, thread_name_prefix="squall-activity")
    identity = worker_identity(task_queue, installed_drivers())
    hook_queue = f"squall-hooks-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    activities = WorkerActivities(pool, identity, journal_dir, hook_queue)
    # this worker's own queue: the hooks (controls) of the runs it starts all run here,
    # and the resumes of its plays Temporal gave up on while it was starved (plays)
    hooks = Worker(
        client,
        task_queue=hook_queue,
        activities=activities.own(),
        # a guard per run whose controls this worker holds (a heartbeating coroutine, no
        # thread), beside the hooks (which run in ``pool``) and the resumes of its plays
        # (coroutines waiting for a play's result)
        max_concurrent_activities=max_concurrent + GUARDED_RUNS,
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=shutdown_grace),
        **_HEARTBEATS,
    )
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ExperimentWorkflow],
        activities=activities.all(),
        workflow_runner=workflow_runner(),
        max_concurrent_activities=max_concurrent,
        identity=identity,
        graceful_shutdown_timeout=timedelta(seconds=shutdown_grace),
        **_HEARTBEATS,
    )
    return [worker, hooks], activities


#: a stop (a cancellation) reaches a running activity in a heartbeat's answer: send the
#: activities' heartbeats (one a second, activities.BEAT) as they come, not throttled to
#: 0.8 x the heartbeat timeout (8 s by default: a stopped fault went on that long)
_HEARTBEATS: dict[str, Any] = {
    "max_heartbeat_throttle_interval": timedelta(seconds=BEAT),
    "default_heartbeat_throttle_interval": timedelta(seconds=BEAT),
}


async def _reap(client: Client, activities: WorkerActivities) -> None:
    """Release the controls of the runs that ended without cleaning them up here (the
    workflow was terminated, or gave this worker up as lost while it lived): their
    threads would watch a finished run forever. Forget the plays of the runs that ended
    (kept for a resume however late it comes while the run goes on: plays)."""
    from squall.temporal.runhooks import held_runs

    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(REAP_EVERY)
        for run_id in activities.plays.runs():
            if await _over(client, run_id):
                activities.plays.forget_run(run_id)
        for run_id, hooks in held_runs().items():
            try:
                over = await _over(client, run_id)
                if over and await loop.run_in_executor(activities.pool, hooks.release):
                    sys.stderr.write(
                        f"squall worker: run {run_id} ended without cleaning up its "
                        "controls here: cleaned up now\n"
                    )
            except Exception as exc:  # a broken cleanup must not end the reaping
                sys.stderr.write(f"squall worker: cleaning up run {run_id}: {exc}\n")


async def _over(client: Client, run_id: str) -> bool:
    """Whether run ``run_id`` has ended (False when the server cannot say now)."""
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    try:
        described = await client.get_workflow_handle(run_id).describe()
    except RPCError as exc:  # unreachable server: look again later
        return exc.status == RPCStatusCode.NOT_FOUND
    return described.status != WorkflowExecutionStatus.RUNNING


#: the logger temporalio's workflow worker reports a failed workflow task on
WORKFLOW_LOGGER = "temporalio.worker._workflow"
#: runs a worker remembers having refused (said once each)
_REFUSALS_KEPT = 1000


class Refusals(logging.Filter):
    """A run this worker cannot read (its payload key is not among the worker's keys):
    one squall line per run on stderr, instead of temporalio's stack trace at each of
    Temporal's offers of its task. The command line that follows the run says it too
    (squall.temporal.unstarted); a detached run waits for a worker that can read it."""

    def __init__(self) -> None:
        super().__init__()
        self.said: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, PayloadKeyError):
            return True
        run = str(record.args[0]) if isinstance(record.args, tuple) and record.args else "?"
        if run not in self.said:
            if len(self.said) >= _REFUSALS_KEPT:
                self.said.clear()
            self.said.add(run)
            sys.stderr.write(
                f"squall worker: refused a run it cannot read (Temporal run id {run}): "
                f"{error}, then restart this worker; Temporal offers the run again, to any "
                "worker of the queue\n"
            )
            sys.stderr.flush()
        return False


def _signalled(name: str) -> None:
    from squall.temporal.runhooks import process_signalled

    stopped = process_signalled(name)
    sys.stderr.write(
        f"squall worker: {name} received (a control's exit request): "
        f"{counted(stopped, 'run')} whose controls run here stopped\n"
    )


def _keys_said(client: Client) -> str:
    """Which payload keys this worker holds, by id (a restart after giving it a key, or
    a rotation's step, can be checked from its first line)."""
    from squall.temporal.codec import EncryptionCodec

    codec = client.data_converter.payload_codec
    ids = codec.key_ids if isinstance(codec, EncryptionCodec) else ()
    if not ids:
        return "no payload key (it cannot take a run encrypted with one)"
    rest = "".join(f", {key_id}" for key_id in ids[1:])
    return f"payload keys {ids[0]} (encrypts){rest}"


async def serve(
    client: Client,
    task_queue: str,
    *,
    max_concurrent: int = 8,
    journal_dir: str | None = None,
    ready: Any = None,
    shutdown_grace: float = SHUTDOWN_GRACE,
) -> int:
    """Run a worker until SIGINT or SIGTERM (then it finishes what it runs, briefly);
    the exit code: 0 when everything it ran finished, 130 when its shutdown stopped
    steps unfinished (said on stderr, each)."""
    workers, activities = make_worker(
        client,
        task_queue,
        max_concurrent=max_concurrent,
        journal_dir=journal_dir,
        shutdown_grace=shutdown_grace,
    )
    pool, identity = activities.pool, activities.identity
    refusals = Refusals()
    logging.getLogger(WORKFLOW_LOGGER).addFilter(refusals)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        told = signal.Signals(signum).name
        loop.add_signal_handler(signum, _stopping, stop, told, activities, shutdown_grace)
    for signum in (signal.SIGUSR1, signal.SIGUSR2):  # a control's chaoslib.exit
        loop.add_signal_handler(signum, _signalled, signal.Signals(signum).name)
    try:
        async with contextlib.AsyncExitStack() as running:
            for worker in workers:
                await running.enter_async_context(worker)
            sys.stderr.write(
                f"squall worker: polling task queue {show_value(task_queue)} as {identity}; "
                f"{_keys_said(client)}\n"
            )
            sys.stderr.flush()
            if ready is not None:
                ready()
            reaper = asyncio.create_task(_reap(client, activities))
            await stop.wait()
            reaper.cancel()
    finally:
        logging.getLogger(WORKFLOW_LOGGER).removeFilter(refusals)
        pool.shutdown(wait=False, cancel_futures=True)
    return _stopped(activities.cut)


def _stopping(stop: asyncio.Event, name: str, activities: WorkerActivities, grace: float) -> None:
    """SIGINT or SIGTERM: the worker takes no new work and says how long what it runs
    may go on. A second signal changes nothing (the grace is the grace: what runs is not
    cut shorter, a rollback stopped half-way would be played again elsewhere), and says
    so, with the way to cut it short."""
    if stop.is_set():
        sys.stderr.write(
            f"squall worker: {name} received again: still stopping, within the "
            f"{grace:g} s of --shutdown-grace (kill -9 cuts it short: what it runs then "
            "is handled as with a worker that died)\n"
        )
        sys.stderr.flush()
        return
    stop.set()
    running = activities.plays.running()
    then = (
        f"the {counted(running, 'step')} it runs may finish within {grace:g} s "
        f"(--shutdown-grace), then {'it is' if running == 1 else 'they are'} stopped"
        if running
        else "it runs no step"
    )
    sys.stderr.write(f"squall worker: {name} received: stopping: it takes no new work; {then}\n")
    sys.stderr.flush()


def _stopped(cut: list[str]) -> int:
    """The worker's last line, and its exit code (130 when it stopped steps unfinished)."""
    if not cut:
        sys.stderr.write("squall worker: stopped (every step it ran had finished)\n")
        return 0
    sys.stderr.write(
        f"squall worker: stopped; {counted(len(cut), 'step')} "
        f"{'was' if len(cut) == 1 else 'were'} stopped unfinished "
        "(each said above): exit 130\n"
    )
    return 130
