"""How a play on a ``squall worker`` ends before its step does: a stop (``squall stop``)
ends it, or abandons it after :data:`GRACE`; a shutdown cuts it (said on the worker's
stderr); Temporal giving it up because it ran past its time limit stops it at once; one
given up while its worker was silent, that no resume claimed, is stopped too
(:mod:`squall.temporal.plays`). And why Temporal gave a running play up
(:func:`given_up`)."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta
from typing import Any, Literal

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from squall.engine.context import RunContext, now_iso
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, RunStatus
from squall.show import show_value
from squall.temporal import steps
from squall.temporal.plays import Play
from squall.temporal.steps import StepInput, StepResult

__all__ = ["ABANDONED", "GRACE", "PlayEndings", "gave_up", "given_up"]

#: seconds a stopped step gets to end before it is abandoned
GRACE = 2.0
#: the end of the reason of a step that was abandoned
ABANDONED = "it could not be stopped and was abandoned (it may still be running)"
#: seconds by which Temporal's start of a play may precede the worker's (given_up)
OVERRUN_SLACK = 1.0


class PlayEndings:
    """Ending the plays of a worker (mixed into its activities)."""

    #: this worker's Temporal identity
    identity: str
    #: steps this worker stopped unfinished because it was shut down
    cut: list[str]

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

        play.unclaimed = True
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


def given_up(started: float) -> Literal["", "silent", "overran"]:
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


def gave_up(why: str) -> ApplicationError:
    """What a play Temporal gave up on ends with (``why``: :func:`given_up`'s answer):
    Temporal no longer waits for it, so nobody reads it; a benign failure, so that
    temporalio does not log a cancelled activity's traceback on the worker's stderr."""
    return ApplicationError(
        f"Temporal gave this play up ({why})",
        type="GivenUp",
        category=ApplicationErrorCategory.BENIGN,
    )


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
