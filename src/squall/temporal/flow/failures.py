"""What the workflow records when Temporal could not run a step: why, in the user's
terms, and the journal entry of an activity that did not run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from squall.experiment.model import Activity
    from squall.journal.model import ActivityRun, RunStatus
    from squall.masking import mask_value
    from squall.show import show_value
    from squall.temporal.codec import KEY_ERROR, cannot_read
    from squall.temporal.steps import entry_of

__all__ = ["failed_entry", "heartbeat_of", "key_refused", "no_worker", "why"]


def key_refused(error: ActivityError) -> str:
    """Why the worker that took the step could not read it (a payload key it lacks:
    nothing of the step ran), located by the worker's name; "" for any other failure."""
    cause: BaseException | None = error.cause
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type == KEY_ERROR:
            return cannot_read(error.identity or "(unnamed)", cause.message)
        cause = cause.cause if isinstance(cause, ApplicationError) else None
    return ""


def heartbeat_of(cause: BaseException | None) -> str:
    """The identity the lost worker last heartbeated with ("" when none did)."""
    details = getattr(cause, "last_heartbeat_details", None) or ()
    return str(details[0]) if details else ""


def no_worker(cause: BaseException | None) -> bool:
    """Whether no worker took the activity in time (``schedule_to_start``)."""
    return isinstance(cause, ActivityTimeout) and cause.type is TimeoutType.SCHEDULE_TO_START


def failed_entry(
    activity: Activity, start: datetime, reason: str, *, temporal: bool = True
) -> dict[str, Any]:
    """The entry of an activity that did not run: Temporal could not (no worker, worker
    lost: ``squall.temporal`` says so), or a stop came first."""
    now = workflow.now()
    run = ActivityRun(
        activity=mask_value(dict(activity.raw)),
        start=start.isoformat(),
        status=RunStatus.FAILED,
        end=now.isoformat(),
        duration=(now - start).total_seconds(),
        exception=[f"{reason}\n"],
        reason=reason,
        squall={"temporal": reason} if temporal else None,
    )
    return entry_of(run)


def why(cause: BaseException | None, queue: str, wait: float, what: str) -> str:
    """Why a Temporal activity failed, in the user's terms."""
    if isinstance(cause, ActivityTimeout):
        if cause.type is TimeoutType.SCHEDULE_TO_START:
            return (
                f"no worker of task queue {show_value(queue)} took {what} within {wait:g} s "
                f"(start one: squall worker --task-queue {queue})"
            )
        if cause.type is TimeoutType.HEARTBEAT:
            return (
                f"worker lost: the worker running {what} stopped answering (killed or "
                "cut off); it is not run again (it may have been partly done)"
            )
        return f"{what} ran past its time limit on the worker"
    if isinstance(cause, ApplicationError):
        return cause.message or str(cause)
    return f"{what} failed on the worker: {cause}"
