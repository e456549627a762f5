"""A play whose worker went silent past its heartbeat timeout: starved or dead? The
workflow asks that worker for the play's result on the worker's own queue (its
heartbeats name it); a starved worker answers once it runs again, with the result of the
play it did not stop (:mod:`squall.temporal.plays`): the step is not played twice and
not recorded as failed. A worker that does not take the question within
``schedule_to_start`` seconds is gone: the step is lost, as before.

Only in runs begun by this squall (``workflow.patched``: an older run's history replays
as it ran) and for plays of a worker that names its own queue in its heartbeats."""

from __future__ import annotations

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

__all__ = ["RESUMES", "Resumes", "own_queue"]

#: the workflow patch under which a starved worker's play is asked for again
RESUMES = "squall-starved-plays-resumed"


def own_queue(error: ActivityError) -> str:
    """The own queue of the worker whose play timed out on its heartbeat ("" for any
    other failure, or a worker that does not name it: an older squall)."""
    cause = error.cause
    if not isinstance(cause, ActivityTimeout) or cause.type is not TimeoutType.HEARTBEAT:
        return ""
    details = cause.last_heartbeat_details or ()
    return str(details[1]) if len(details) > 1 else ""


class Resumes(FlowState):
    """Asking a silent worker for its play's result."""

    async def _resumed(
        self, kind: str, step: StepInput, error: ActivityError, seconds: float, summary: str
    ) -> StepResult | None:
        """The result of the play ``error`` says timed out on its heartbeat, from its
        worker (``kind``: the Temporal activity; ``seconds``: how long the step may
        run); None when the worker is gone (or cannot be asked).

        Raises:
            ActivityError: the play itself failed (its worker answered with the failure).
        """
        queue = own_queue(error)
        if not queue or not self._resumes:
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
        who = heartbeat_of(error.cause)
        self._emit(
            "warning",
            text=f"{summary}: its worker ({who}) was silent for more than the heartbeat "
            f"timeout ({run.heartbeat:g} s) but not lost: its result was taken when it "
            "answered again (it was not played twice)",
        )
        return result
