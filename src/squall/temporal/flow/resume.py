"""A play whose worker went silent past its heartbeat timeout: starved or dead? The
workflow asks that worker for the play's result on the worker's own queue (its
heartbeats name it); a starved worker answers once it runs again, with the result of the
play it did not stop (:mod:`squall.temporal.plays`): the step is not played twice and
not recorded as failed. A worker that does not take the question within
``schedule_to_start`` seconds is gone: the step is lost, as before.

Only in runs begun by this squall (``workflow.patched``: an older run's history replays
as it ran) and for plays of a worker that names its own queue in its heartbeats.

A heartbeat timeout may come without the last heartbeat's details (seen after the
Temporal server was killed and restarted mid-play: scripts/temporal_outage.py). The
worker, once it learns Temporal gave its play up, says so to the workflow itself: a
``squall.held`` signal naming the play and its own queue (signals are kept in the run's
history). A timeout without details waits up to ``schedule_to_start`` seconds for that
signal before the play's worker is taken for lost (:data:`HELD`)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

from squall.temporal.flow.execute import execute_step
from squall.temporal.flow.failures import heartbeat_of
from squall.temporal.flow.state import FlowState

with workflow.unsafe.imports_passed_through():
    from squall.temporal.activities import PLAY_UNKNOWN
    from squall.temporal.steps import StepInput, StepResult

__all__ = ["HELD", "RESUMES", "Resumes", "heartbeat_timeout", "own_queue"]

#: the workflow patch under which a starved worker's play is asked for again
RESUMES = "squall-starved-plays-resumed"
#: the workflow patch under which a heartbeat timeout without details waits for the
#: worker's ``squall.held`` signal
HELD = "squall-held-plays-said"
#: plays a ``squall.held`` signal named that the run keeps at most (the oldest go)
MOST_HELD = 1000


def heartbeat_timeout(error: ActivityError) -> bool:
    """Whether the play ``error`` ended timed out on its heartbeat (its worker silent)."""
    cause = error.cause
    return isinstance(cause, ActivityTimeout) and cause.type is TimeoutType.HEARTBEAT


def own_queue(error: ActivityError) -> str:
    """The own queue of the worker whose play timed out on its heartbeat ("" for any
    other failure, or a worker that does not name it: an older squall)."""
    cause = error.cause
    if not isinstance(cause, ActivityTimeout) or not heartbeat_timeout(error):
        return ""
    details = cause.last_heartbeat_details or ()
    return str(details[1]) if len(details) > 1 else ""


class Resumes(FlowState):
    """Asking a silent worker for its play's result."""

    def _held(self, activity_id: str, queue: str, identity: str) -> None:
        """A worker's ``squall.held`` signal: Temporal gave up its play ``activity_id``,
        which goes on there; ask it on ``queue``."""
        self._held_plays[activity_id] = (queue, identity)
        while len(self._held_plays) > MOST_HELD:
            del self._held_plays[next(iter(self._held_plays))]

    async def _holder(self, error: ActivityError) -> tuple[str, str]:
        """The own queue of the worker whose play timed out on its heartbeat, and its
        identity: from the last heartbeat's details, or else from the worker's
        ``squall.held`` signal, waited for up to ``schedule_to_start`` seconds; ("", "")
        when neither names it (the worker is gone, or an older squall)."""
        queue = own_queue(error)
        if queue or not self._held_said or not heartbeat_timeout(error):
            return queue, heartbeat_of(error.cause)
        wanted = error.activity_id
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(
                lambda: wanted in self._held_plays, timeout=self._input.schedule_to_start
            )
        return self._held_plays.get(wanted, ("", ""))

    async def _resumed(
        self, kind: str, step: StepInput, error: ActivityError, seconds: float, summary: str
    ) -> StepResult | None:
        """The result of the play ``error`` says timed out on its heartbeat, from its
        worker (``kind``: the Temporal activity; ``seconds``: how long the step may
        run); None when the worker is gone (or cannot be asked).

        Raises:
            ActivityError: the play itself failed (its worker answered with the failure).
        """
        if not self._resumes:
            return None
        queue, who = await self._holder(error)
        if not queue:
            return None
        run = self._input
        try:
            result = await execute_step(
                kind,
                dataclasses.replace(step, resume=error.activity_id),
                run,
                queue=queue,
                seconds=seconds,
                schedule_to_close=seconds + run.schedule_to_start,
                retry_policy=RetryPolicy(
                    maximum_attempts=0,  # asked again while its worker is starved
                    maximum_interval=timedelta(seconds=1),
                    non_retryable_error_types=["InputError", "StepError", PLAY_UNKNOWN],
                ),
                summary=f"{summary} (its worker was silent: asked again)",
            )
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type in ("InputError", "StepError"):
                raise
            return None  # gone: nobody took it, or it no longer has the play
        self._emit(
            "warning",
            text=f"{summary}: its worker ({who}) was silent for more than the heartbeat "
            f"timeout ({run.heartbeat:g} s) but not lost: its result was taken when it "
            "answered again (it was not played twice)",
        )
        return result
