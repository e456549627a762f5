"""A run's experiment document, on a worker that has not resolved the run yet: read from
the run's Temporal history (its first event holds the run's input)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from squall.temporal import steps
from squall.temporal.inputs import RunInput
from squall.temporal.steps import StepInput

__all__ = ["FETCH_TIMEOUT", "documented", "with_document"]

#: seconds a worker waits for Temporal to give it a run's experiment document
FETCH_TIMEOUT = 30.0


async def documented(step: StepInput) -> StepInput:
    """``step`` with its run's experiment document (see :func:`with_document`)."""
    run = await with_document(step.run)
    return step if run is step.run else dataclasses.replace(step, run=run)


async def with_document(run: RunInput) -> RunInput:
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
