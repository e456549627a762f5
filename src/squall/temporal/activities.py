"""The Temporal activities a ``squall worker`` runs: each performs one step of a run with
the local engine's code (see :mod:`squall.temporal.steps`) in a thread, heartbeating so
that a dead worker is noticed, and stopping the step when the workflow cancels it (a
``squall stop``): pauses end, a process is killed; Python code that cannot be stopped is
abandoned after a grace period (its entry says so), as in a parallel group
(:mod:`squall.temporal.playends`)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from squall.engine.context import RunContext
from squall.errors import InputError
from squall.show import show_value
from squall.temporal import steps
from squall.temporal.documents import documented, with_document
from squall.temporal.inputs import RunInput
from squall.temporal.playends import PlayEndings, gave_up, given_up
from squall.temporal.plays import Play, Plays
from squall.temporal.runhooks import HookInput, HookResult
from squall.temporal.steps import StepInput, StepResult

__all__ = ["ACTIVITIES", "WorkerActivities"]

_T = TypeVar("_T")

#: seconds between heartbeats (Temporal sends them at most every 0.8 x the timeout)
BEAT = 1.0

START = "squall.start"
ACTIVITY = "squall.activity"
HYPOTHESIS = "squall.hypothesis"
RECORD = "squall.record"
HOOK = "squall.hook"
GUARD = "squall.guard"
#: the failure type of a resume its worker has no play for (flow.resume)
PLAY_UNKNOWN = "PlayUnknown"
#: the signal by which a worker tells a run that Temporal gave up a play of its that
#: goes on here (flow.resume)
HELD_SIGNAL = "squall.held"


class WorkerActivities(PlayEndings):
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
        hook = dataclasses.replace(hook, run=await with_document(hook.run))

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
        step = await documented(step)
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
            why = given_up(play.started)
            if why == "silent":  # starved: the workflow will ask this worker for it
                self.plays.orphaned(
                    play, _resume_wait(step), self._orphan_stopped, self._held_sayer()
                )
                raise gave_up(why) from None
            if why == "overran":  # its time limit: nobody will ask for it
                await self._overrun_stopped(play)
                raise gave_up(why) from None
            return await self._ended_early(play)
        result.worker = self.identity
        lost = _lost_before(step)
        if lost is not None:
            _replayed(result, lost, step.tried + activity.info().attempt)
        return result

    def _held_sayer(self) -> Callable[[], Awaitable[bool]]:
        """What tells the run of the current play that Temporal gave the play up while
        it goes on here, and where to ask for it (this worker's own queue): the
        ``squall.held`` signal. Temporal's heartbeat timeout may have lost the last
        heartbeat's details, which said it (a server restarted mid-play). True once
        said, or once the run cannot hear it (it is over)."""
        from temporalio.service import RPCError, RPCStatusCode

        info = activity.info()
        handle = activity.client().get_workflow_handle(
            info.workflow_id or "", run_id=info.workflow_run_id
        )
        said = [info.activity_id, self.hook_queue, self.identity]

        async def say() -> bool:
            try:
                await handle.signal(HELD_SIGNAL, args=said, rpc_timeout=timedelta(seconds=5))
            except RPCError as exc:  # the server is away: said again later
                return exc.status == RPCStatusCode.NOT_FOUND  # the run is over
            return True

        return say

    async def _resumed(self, step: StepInput) -> StepResult:
        """The result of this worker's play that Temporal gave up on (this worker was
        silent past its heartbeat timeout: starved, not dead), waited for if it still
        runs: the step is not played again.

        Raises:
            ApplicationError: not retryable, type ``PlayUnknown``: this worker has no
                such play (it was restarted), or stopped it because the question came
                too late (:meth:`_orphan_stopped`): the step is lost.
        """
        info = activity.info()
        play = self.plays.claim((info.workflow_id or "", step.resume))
        if play is None or play.unclaimed:
            gone = "stopped" if play is not None else "no longer has"
            raise ApplicationError(
                f"the worker {self.identity} {gone} the play it was asked for",
                type=PLAY_UNKNOWN,
                non_retryable=True,
                category=ApplicationErrorCategory.BENIGN,  # the run says it: no traceback
            )
        asked = time.monotonic()
        try:
            result = await self._beating(play.future)
        except asyncio.CancelledError:
            why = given_up(asked)
            if why == "overran":  # the question's time limit: the run moved on
                await self._overrun_stopped(play)
            if why:  # or starved again: the next offer asks again
                raise gave_up(why) from None
            return await self._ended_early(play)
        result = dataclasses.replace(result, worker=self.identity, warnings=[*result.warnings])
        if play.step.lost or play.step.tried:  # that play was itself a rollback's replay
            _replayed(result, play.step.lost, play.step.tried + 1)
        return result


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
    result.warnings.append(f"{show_value(name)} {why}")


def worker_identity(task_queue: str, drivers: list[str]) -> str:
    """``pid@host squall VERSION queue drivers: a,b`` (what ``temporal task-queue
    describe`` shows of each poller)."""
    from squall._version import __version__

    names = ",".join(drivers) or "none"
    return f"{os.getpid()}@{os.uname().nodename} squall {__version__} {task_queue} drivers: {names}"


ACTIVITIES = (START, ACTIVITY, HYPOTHESIS, RECORD, HOOK, GUARD)
