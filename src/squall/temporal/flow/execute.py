"""One play of a step (an activity, the hypothesis, or the question to a starved worker
for its play's result, flow.resume) as a Temporal activity: the timeouts every play
shares, from the run's input; what differs (the queue, how long it may run, its retries,
its summary) is the caller's."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from squall.temporal.inputs import RunInput
    from squall.temporal.steps import StepInput, StepResult

__all__ = ["execute_step"]


async def execute_step(
    kind: str,
    step: StepInput,
    run: RunInput,
    *,
    queue: str,
    seconds: float,
    retry_policy: RetryPolicy,
    summary: str,
    schedule_to_close: float | None = None,
) -> StepResult:
    """Play ``step`` with the activity ``kind`` on ``queue``: it waits at most the run's
    ``schedule_to_start`` for a worker, runs at most ``seconds`` (and, when given, at most
    ``schedule_to_close`` from its first offer), is lost after the run's ``heartbeat`` of
    silence, and a cancellation waits for the play to end."""
    result: StepResult = await workflow.execute_activity(
        kind,
        step,
        result_type=StepResult,
        task_queue=queue,
        schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
        start_to_close_timeout=timedelta(seconds=seconds),
        schedule_to_close_timeout=(
            None if schedule_to_close is None else timedelta(seconds=schedule_to_close)
        ),
        heartbeat_timeout=timedelta(seconds=run.heartbeat),
        retry_policy=retry_policy,
        cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        summary=summary,
    )
    return result
