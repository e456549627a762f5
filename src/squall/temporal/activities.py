"""The Temporal activities a ``squall worker`` runs: each performs one step of a run with
the local engine's code (see :mod:`squall.temporal.steps`) in a thread, heartbeating so
that a dead worker is noticed, and stopping the step when the workflow cancels it (a
``squall stop``): pauses end, a process is killed; Python code that cannot be stopped is
abandoned after a grace period (its entry says so), as in a parallel group."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, Literal, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from squall.engine.context import RunContext, now_iso
from squall.errors import InputError
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, RunStatus
from squall.show import show_value
from squall.temporal import steps
from squall.temporal.inputs import RunInput
from squall.temporal.plays import Play, Plays
from squall.temporal.runhooks import HookInput, HookResult
from squall.temporal.steps import StepInput, StepResult

__all__ = ["ACTIVITIES", "WorkerActivities"]

_T = TypeVar("_T")

#: seconds a stopped step gets to end before it is abandoned
GRACE = 2.0
#: the end of the reason of a step that was abandoned
ABANDONED = "it could not be stopped and was abandoned (it may still be running)"
#: seconds between heartbeats (Temporal sends them at most every 0.8 x the timeout)
BEAT = 1.0
#: seconds by which Temporal's start of a play may precede the worker's (_given_up)
OVERRUN_SLACK = 1.0
#: seconds a worker waits for Temporal to give it a run's experiment document
FETCH_TIMEOUT = 30.0

START = "squall.start"
ACTIVITY = "squall.activity"
HYPOTHESIS = "squall.hypothesis"
RECORD = "squall.record"
HOOK = "squall.hook"
GUARD = "squall.guard"
#: the failure type of a resume its worker has no play for (flow.resume)
PLAY_UNKNOWN = "PlayUnknown"


class WorkerActivities:
    """The activities, bound to the worker's thread pool and identity."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        identity: str,
        journal_dir: str | None,
        hook_queue: str = "",
    ) -> None:
        self.pool = pool
        self.identity = identity
        self.journal_dir = journal_dir
        #: this worker's own task queue: the hooks of the runs it started go there, and
        #: the resumes of its plays Temporal gave up on (plays)
        self.hook_queue = hook_queue
        self.plays = Plays()
        #: steps this worker stopped unfinished because it was shut down
        self.cut: list[str] = []

    def all(self) -> list[Callable[..., Any]]:
        return [self.start, self.run_activity, self.run_hypothesis, self.record, self.hook]

    def own(self) -> list[Callable[..., Any]]:
        """The activities of this worker's own queue: the hooks and the guard of the runs
        it started, and the resumes of its plays (:mod:`squall.temporal.plays`)."""
        return [self.hook, self.guard, self.run_activity, self.run_hypothesis]

    def _beat(self) -> None:
        """A heartbeat naming this worker, and its own queue (where a play Temporal gives
        up on while this worker is starved is offered again)."""
        activity.heartbeat(self.identity, self.hook_queue)

    @activity.defn(name=START)
    async def start(self, run: RunInput) -> str:
        """Resolve the run here (configuration, secrets, controls) and give the journal's
        header, with this worker's own queue when the run has hooks (they all run here).

        Raises:
            ApplicationError: not retryable, type ``InputError``: it cannot be resolved.
        """
        loop = asyncio.get_running_loop()
        try:
            return await self._beating(
                loop.run_in_executor(self.pool, steps.start_header, run, self.hook_queue)
            )
        except InputError as exc:
            raise ApplicationError(str(exc), type="InputError", non_retryable=True) from None

    @activity.defn(name=ACTIVITY)
    async def run_activity(self, step: StepInput) -> StepResult:
        return await self._perform(step, steps.perform_activity)

    @activity.defn(name=HYPOTHESIS)
    async def run_hypothesis(self, step: StepInput) -> StepResult:
        return await self._perform(step, steps.perform_hypothesis)

    @activity.defn(name=HOOK)
    async def hook(self, hook: HookInput) -> HookResult:
        """Call one experiment-level hook of a run this worker started (its controls keep
        their state here); a stop a control asks for later, from a thread (a safeguard),
        is sent to the workflow by this worker."""
        loop = asyncio.get_running_loop()
        handle = activity.client().get_workflow_handle(hook.run.run_id)
        hook = dataclasses.replace(hook, run=await _with_document(hook.run))

        def signal(fields: list[Any]) -> None:
            name, reason, kind, play, wait = fields
            sent = handle.signal("stop", args=[reason, "", kind, name, play, wait])
            asyncio.run_coroutine_threadsafe(sent, loop).add_done_callback(_unsent)

        result = await self._beating(loop.run_in_executor(self.pool, _hooked, hook, signal))
        result.worker = self.identity
        return result

    @activity.defn(name=GUARD)
    async def guard(self, run_id: str) -> None:
        """Heartbeat for as long as this worker lives, on its own queue, while it holds
        the controls of run ``run_id``: the workflow notices at once that they are lost
        (this worker died, or was shut down) and stops the run, instead of going on
        unwatched until its next hook. Ends when the workflow cancels it (the run
        decided its rollbacks).

        Raises:
            ApplicationError: not retryable, type ``WorkerShutdown``: this worker is
                being shut down (its controls go with it).
        """
        shutdown = asyncio.ensure_future(activity.wait_for_worker_shutdown())
        try:
            while True:
                activity.heartbeat(self.identity)
                done, _ = await asyncio.wait({shutdown}, timeout=BEAT)
                if done:
                    raise ApplicationError(
                        f"the worker holding them ({self.identity}) was shut down",
                        type="WorkerShutdown",
                        non_retryable=True,
                        category=ApplicationErrorCategory.BENIGN,  # said, not a traceback
                    )
        finally:
            shutdown.cancel()

    @activity.defn(name=RECORD)
    async def record(self, run: RunInput, journal: str) -> str:
        """Write a finished run's journal and history record on this worker (runs no
        command line follows); returns where the journal went ("" when nowhere)."""
        from squall.temporal.record import record_finished

        steps.forget(run.run_id)
        return await self._beating(
            asyncio.get_running_loop().run_in_executor(
                self.pool, record_finished, run, journal, self.journal_dir
            )
        )

    async def _beating(self, future: asyncio.Future[_T]) -> _T:
        """``future``'s result, heartbeating while it runs: a completion the server lost
        (or a worker that died) is noticed after the heartbeat timeout, and retried."""
        self._beat()
        while True:
            done, _ = await asyncio.wait({future}, timeout=BEAT)
            if done:
                return future.result()
            self._beat()

    async def _perform(
        self,
        step: StepInput,
        perform: Callable[[StepInput, list[RunContext], threading.Event], StepResult],
    ) -> StepResult:
        if step.resume:
            return await self._resumed(step)
        self._beat()  # who plays it (sent at once), should it be lost
        step = await _documented(step)
        holder: list[RunContext] = []
        cancel = threading.Event()
        future = asyncio.get_running_loop().run_in_executor(
            self.pool, _guarded, perform, step, holder, cancel
        )
        play = Play(step, future, holder, cancel)
        info = activity.info()
        self.plays.add((info.workflow_id or "", info.activity_id), play)
        try:
            result = await self._beating(play.future)
        except asyncio.CancelledError:
            given_up = _given_up(play.started)
            if given_up == "silent":  # starved: the workflow will ask this worker for it
                self.plays.orphaned(play, _resume_wait(step), self._orphan_stopped)
                raise
            if given_up == "overran":  # its time limit: nobody will ask for it
                await self._overrun_stopped(play)
                raise
            return await self._ended_early(play)
        result.worker = self.identity
        lost = _lost_before(step)
        if lost is not None:
            _replayed(result, lost, step.tried + activity.info().attempt)
        return result

    async def _resumed(self, step: StepInput) -> StepResult:
        """The result of this worker's play that Temporal gave up on (this worker was
        silent past its heartbeat timeout: starved, not dead), waited for if it still
        runs: the step is not played again.

        Raises:
            ApplicationError: not retryable, type ``PlayUnknown``: this worker has no
                such play (it was restarted): the step is lost.
        """
        info = activity.info()
        play = self.plays.claim((info.workflow_id or "", step.resume))
        if play is None:
            raise ApplicationError(
                f"the worker {self.identity} no longer has the play it was asked for",
                type=PLAY_UNKNOWN,
                non_retryable=True,
            )
        asked = time.monotonic()
        try:
            result = await self._beating(play.future)
        except asyncio.CancelledError:
            given_up = _given_up(asked)
            if given_up == "overran":  # the question's time limit: the run moved on
                await self._overrun_stopped(play)
            if given_up:  # or starved again: the next offer asks again
                raise
            return await self._ended_early(play)
        result = dataclasses.replace(result, worker=self.identity, warnings=[*result.warnings])
        if play.step.lost or play.step.tried:  # that play was itself a rollback's replay
            _replayed(result, play.step.lost, play.step.tried + 1)
        return result

    async def _ended_early(self, play: Play) -> StepResult:
        """The play was cancelled: by a stop (it is stopped), or because this worker is
        shut down (it is stopped, and the step is lost: retryable, a rollback is played
        again elsewhere)."""
        result = await self._stopped(play.step, play.future, play.holder, play.cancel)
        if activity.is_worker_shutdown():  # not a stop: this worker is going away
            self._cut(play.step, result)
            raise ApplicationError(
                f"the worker running it ({self.identity}) was shut down before it ended",
                type="WorkerShutdown",
                category=ApplicationErrorCategory.BENIGN,  # said by _cut, not a traceback
            ) from None
        return result

    def _cut(self, step: StepInput, result: StepResult) -> None:
        """Say that this worker, shut down, stopped ``step`` unfinished (and how its
        run takes it), once, on its stderr."""
        import json
        import sys

        name = (json.loads(result.entry).get("activity") or {}).get("name")
        what = f"{step.phase} activity {show_value(name)}" if name else "the hypothesis"
        then = "its run records it as failed" if name else "it is checked again"
        if step.phase == "rollback":
            then = "it is played again by another worker"
        self.cut.append(what)
        sys.stderr.write(
            f"squall worker: run {step.run.run_id}: {what} was still running when the "
            f"shutdown grace ended: stopped ({then})\n"
        )
        sys.stderr.flush()

    async def _overrun_stopped(self, play: Play) -> None:
        """Temporal gave ``play`` up because it ran past its time limit (its
        start-to-close backstop): the run moved on without it (a method activity failed,
        a rollback played again elsewhere): it is stopped at once, not left to run on."""
        import sys

        limit = activity.info().start_to_close_timeout or timedelta()
        reason = f"it ran past its time limit ({limit.total_seconds():g} s): Temporal gave it up"
        await self._stopped(play.step, play.future, play.holder, play.cancel, reason)
        sys.stderr.write(f"squall worker: run {play.step.run.run_id}: a step {reason}: stopped\n")
        sys.stderr.flush()

    def _orphan_stopped(self, play: Play) -> None:
        """A play Temporal gave up on that no resume claimed: the run moved on without
        it (this worker was taken for lost): it is stopped, not left running unwatched."""
        import sys

        play.cancel.set()
        for ctx in play.holder:
            steps.stop_context(ctx, "its run gave it up: its worker was taken for lost")
        sys.stderr.write(
            f"squall worker: run {play.step.run.run_id}: a step Temporal gave up on while "
            "this worker was silent was not asked for again: stopped\n"
        )

    async def _stopped(
        self,
        step: StepInput,
        future: asyncio.Future[StepResult],
        holder: list[RunContext],
        cancel: threading.Event,
        reason: str = "the run was stopped (squall stop)",
    ) -> StepResult:
        """The workflow cancelled the step (a stop): end it, or abandon it after GRACE."""
        cancel.set()
        for ctx in holder:
            steps.stop_context(ctx, reason)
        done, _ = await asyncio.wait({future}, timeout=GRACE)
        if done:
            result = future.result()
            result.interrupted = True
        else:
            result = StepResult(entry=_abandoned(step, holder), interrupted=True)
        result.worker = self.identity
        return result


async def _documented(step: StepInput) -> StepInput:
    """``step`` with its run's experiment document (see :func:`_with_document`)."""
    run = await _with_document(step.run)
    return step if run is step.run else dataclasses.replace(step, run=run)


async def _with_document(run: RunInput) -> RunInput:
    """``run`` with its experiment document when this worker has not resolved the run
    yet: read from the workflow's first history event (its input), which needs no
    worker (a query would wait for the workflow's worker, maybe the one just lost), so
    the history holds the document once whatever the number of activities."""
    if not steps.needs_document(run):
        return run
    from temporalio.service import RPCError

    client = activity.client()
    events = client.get_workflow_handle(run.run_id).fetch_history_events(
        page_size=1, rpc_timeout=timedelta(seconds=FETCH_TIMEOUT)
    )
    started: RunInput | None = None
    problem = "its history has no start event"
    try:
        async for event in events:
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            (started,) = await client.data_converter.decode(payloads, [RunInput])
            break
    except RPCError as exc:
        problem = str(exc)
    if started is None:  # retryable: a rollback waits
        raise ApplicationError(
            f"the experiment of run {run.run_id} could not be read from Temporal: " + problem,
            type="DocumentUnavailable",
        )
    return dataclasses.replace(run, document=started.document)


def _hooked(hook: HookInput, signal: Callable[[list[Any]], None]) -> HookResult:
    try:
        made = steps.prepared(hook.run)
        hooks = made.hooks(hook.run)
        if hooks is not None:
            hooks.signal = signal
        return steps.perform_hook(hook)
    except InputError as exc:
        raise ApplicationError(str(exc), type="InputError", non_retryable=True) from None
    except Exception as exc:  # a bug: never retried (a control must not run twice)
        message = f"{type(exc).__name__}: {exc}"
        raise ApplicationError(message, type="StepError", non_retryable=True) from None


def _unsent(sent: Any) -> None:
    """A stop the worker could not send (the run is over, the server is gone): said."""
    if not sent.cancelled() and sent.exception() is not None:
        import sys

        sys.stderr.write(f"squall worker: a control's stop was not sent: {sent.exception()}\n")


def _guarded(
    perform: Callable[[StepInput, list[RunContext], threading.Event], StepResult],
    step: StepInput,
    holder: list[RunContext],
    cancel: threading.Event,
) -> StepResult:
    try:
        return perform(step, holder, cancel)
    except InputError as exc:  # configuration or secrets cannot be resolved on this worker
        raise ApplicationError(str(exc), type="InputError", non_retryable=True) from None
    except Exception as exc:  # a bug, never retried (a rollback would loop on it)
        message = f"{type(exc).__name__}: {exc}"
        raise ApplicationError(message, type="StepError", non_retryable=True) from None


def _given_up(started: float) -> Literal["", "silent", "overran"]:
    """Why Temporal gave up the running activity, begun here at ``started``
    (time.monotonic): its heartbeat timed out ("silent": this worker was starved; the
    workflow asks it for the play's result), or its start-to-close ("overran": nobody
    will ask); "" when it did not (a stop, or a shutdown, cancelled it).

    What temporalio sets then (its Rust core: sdk-core's activity manager; checked by
    tests/temporal/test_cancel_flags.py on a real server): ``not_found`` when a
    heartbeat's answer says the server no longer has the activity, which is so after
    either timeout; ``timed_out`` and ``not_found`` both when the SDK's own timer (the
    shorter of the two timeouts plus a buffer, the heartbeat's reset by each heartbeat)
    ran out first. The flags cannot tell which timeout it was: the time the play has
    run can (Temporal's clock started up to OVERRUN_SLACK earlier than ``started``)."""
    details = activity.cancellation_details()
    if details is None or details.cancel_requested or details.worker_shutdown:
        return ""
    if not details.not_found:
        return ""
    limit = activity.info().start_to_close_timeout
    if limit is not None and time.monotonic() - started >= limit.total_seconds() - OVERRUN_SLACK:
        return "overran"
    return "silent"


def _resume_wait(step: StepInput) -> float:
    """Seconds within which the workflow asks for a play Temporal gave up on, when this
    worker is not taken for lost."""
    return step.run.heartbeat + step.run.schedule_to_start


def _lost_before(step: StepInput) -> str | None:
    """Who played this step before and was lost ("" when unknown), or None when this is
    its first play. Only rollbacks are played again: offered again by the workflow after
    a play that did not end (:attr:`StepInput.tried`, :attr:`StepInput.lost`), or, in a
    run an older squall began, retried by Temporal (attempt > 1, the last heartbeat
    names the worker)."""
    info = activity.info()
    if step.lost or step.tried:
        return step.lost
    if info.attempt <= 1:
        return None
    details = info.heartbeat_details
    return str(details[0]) if details else ""


def _replayed(result: StepResult, lost: str, attempt: int) -> None:
    """Say in the entry (``squall.replayed``) and in a warning that the step was played
    again from its start: an earlier play did not end (its worker was lost, or it ran
    past its time limit), and what it had done is unknown."""
    import json

    from squall.journal.store import dumps

    entry = json.loads(result.entry)
    who = f" ({lost})" if lost else ""
    why = (
        f"played again from the start: the worker playing it before{who} was lost "
        "(killed or cut off) or ran past its time limit before it finished"
    )
    extra: dict[str, Any] = {"replayed": why}
    if attempt > 1:
        extra["attempt"] = attempt
    entry["squall"] = {**(entry.get("squall") or {}), **extra}
    result.entry = dumps(entry)
    name = (entry.get("activity") or {}).get("name", "")
    result.warnings.append(f"{name!r} {why}")


def _abandoned(step: StepInput, holder: list[RunContext]) -> str:
    """The entry of a step that could not be stopped: a failed activity, or the
    hypothesis with the probes that ended and the one it was running, failed."""
    from squall.journal.store import dumps

    made = steps.prepared(step.run)
    reason = f"interrupted by a stop request; {ABANDONED}"
    if step.pointer:
        activity = steps.find_activity(made.plan, step.phase, step.pointer, step.iteration)
        return dumps(_failed(made, activity, reason))
    ended, running = steps.abandoned_probes(holder[0]) if holder else ([], None)
    probes = [steps.entry_of(p) for p in ended]
    if running is not None:
        probes.append({**_failed(made, running, reason), "tolerance_met": False})
    return dumps({"steady_state_met": False, "probes": probes})


def _failed(made: steps.Prepared, activity: Activity, reason: str) -> dict[str, Any]:
    from squall.masking import mask_value

    run = ActivityRun(
        activity=activity.raw,
        start=now_iso(),
        status=RunStatus.FAILED,
        end=now_iso(),
        exception=[f"{reason}\n"],
        reason=reason,
    )
    entry = run.to_dict()
    with made.scope.active():
        entry["activity"] = mask_value(dict(activity.raw))
    entry["reason"] = reason
    return entry


def worker_identity(task_queue: str, drivers: list[str]) -> str:
    """``pid@host squall VERSION queue drivers: a,b`` (what ``temporal task-queue
    describe`` shows of each poller)."""
    from squall._version import __version__

    names = ",".join(drivers) or "none"
    return f"{os.getpid()}@{os.uname().nodename} squall {__version__} {task_queue} drivers: {names}"


ACTIVITIES = (START, ACTIVITY, HYPOTHESIS, RECORD, HOOK, GUARD)
