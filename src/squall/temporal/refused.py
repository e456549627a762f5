"""A run whose workers refuse to go on with it: its workflow task, offered again and
again by Temporal, fails on every worker that takes it (a worker of another squall
version that cannot replay what the run did, "non-determinism"; a worker without the
run's payload key; a bug). Nothing of the run moves then, and nothing said so: the
command line following it showed "still running" for ever.

The command line (``squall run --engine temporal``, ``squall runs attach``) looks at the
run's pending workflow task every :data:`LOOK` seconds; one failed again (attempt 2 or
more) is said at once, naming the worker and its reason (from the history's last
failed workflow task). If no worker goes on with the run within ``wait`` seconds (the
run's ``schedule_to_start``), the command line ends with exit 3: the run is not
terminated (the rollbacks it owes are played once a worker can go on with it; ``squall
runs attach`` follows it then)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import WorkflowTaskFailedEventAttributes
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from squall.temporal.codec import cannot_read
from squall.temporal.unstarted import FirstTask, task_failure

__all__ = ["LOOK", "RefusedWatch", "refusal_of"]

#: seconds between two looks at the run's pending workflow task
LOOK = 5.0
#: what a refusal for non-determinism adds
REPLAY_HINT = (
    "a worker of another squall version than the one that began the run cannot replay "
    "it: give the queue a worker of that version"
)


def refusal_of(task: FirstTask, attempts: int, nondeterministic: bool) -> str:
    """What the command line says of a workflow task refused ``attempts`` times."""
    if task.key:
        return cannot_read(task.worker, task.reason or "a payload key it does not have")
    why = task.reason or "its reason is encrypted with a payload key this command lacks"
    hint = f" ({REPLAY_HINT})" if nondeterministic else ""
    return (
        f"the worker {task.worker} refused to go on with the run (Temporal offered it "
        f"{attempts} times): {why}{hint}"
    )


class RefusedWatch:
    """Looks at a run that has started: says when its workers refuse to go on with it,
    and ends the command line when none goes on within ``wait`` seconds."""

    def __init__(
        self, warn: Callable[[str], None], converter: DataConverter, *, run_id: str, wait: float
    ) -> None:
        self.warn = warn
        self.converter = converter
        self.run_id = run_id
        self.wait = wait
        self.next = time.monotonic() + LOOK
        #: since when the run's workflow task is refused (None: it is not)
        self.since: float | None = None
        self.said: set[str] = set()

    async def look(self, handle: WorkflowHandle[Any, Any]) -> dict[str, Any] | None:
        """The command line's result when it must end here, else None."""
        now = time.monotonic()
        if now < self.next:
            return None
        self.next = now + LOOK
        try:
            pending = (await handle.describe()).raw_description.pending_workflow_task
        except RPCError:
            return None  # the server is out of reach: the follower says so
        if pending.attempt < 2:
            self.since = None
            return None
        failed = await _last_failure(handle)
        if failed is None:
            return None
        task = await task_failure(failed, self.converter)
        nondeterministic = (
            failed.cause
            == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        )
        refusal = refusal_of(task, pending.attempt, nondeterministic)
        self.since = self.since or now
        said = refusal.split(" (Temporal offered it")[0]
        if said not in self.said:
            self.said.add(said)
            self.warn(f"{refusal}; Temporal offers it again, to any worker of the queue")
        if now - self.since < self.wait:
            return None
        return {
            "error": f"the run cannot go on: {refusal}; no worker went on with it within "
            f"{self.wait:g} s. It waits in Temporal, with the rollbacks it owes, for a "
            f"worker that can: `squall runs attach {self.run_id}` follows it then",
            "exit_code": 3,
        }


async def _last_failure(
    handle: WorkflowHandle[Any, Any],
) -> WorkflowTaskFailedEventAttributes | None:
    """The run's failed workflow task since its last completed one (Temporal records
    the first failure of a series, not its retries); None when there is none (a task
    timed out: its worker died mid-task) or the server cannot say now."""
    failed = None
    try:
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failed = event.workflow_task_failed_event_attributes
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                failed = None
    except RPCError:
        return None
    return failed
