"""What became of a run the command line has seen no progress of yet: no worker took its
first workflow task, or a worker took it and failed it (Temporal then offers it again).

A worker that cannot read the run (the payload key that encrypted it is not among its
keys: it has none, or others) fails every offer: the command line says so as soon as the
first failure is in the run's history, by the worker's name, and ends the run (nothing
of it ran; exit 2, a configuration error, as a refused API key), rather than wait
``schedule_to_start`` seconds to say that no worker took it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import WorkflowTaskFailedEventAttributes
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.service import RPCError

from squall._record import Record
from squall.show import show_value
from squall.temporal.codec import KEY_ERROR, cannot_read

__all__ = ["LATE_LOOK", "LOOK", "FirstTask", "StartWatch", "first_task", "task_failure"]

#: seconds between two looks at the history of a run not started yet (then, once
#: ``schedule_to_start`` has passed and the run still waits, LATE_LOOK)
LOOK = 1.0
LATE_LOOK = 5.0


class FirstTask(Record):
    """The run's first workflow task as its history shows it: ``done`` (a worker ran
    it), or the last failure of it: who (``worker``), why (``reason``, "" when it is
    encrypted with a key this command lacks) and whether it was a payload key (``key``)."""

    __slots__ = ("done", "key", "reason", "worker")

    def __init__(self, *, done: bool, worker: str = "", reason: str = "", key: bool = False):
        self.done = done
        self.worker = worker
        self.reason = reason
        self.key = key

    def refusal(self) -> str:
        """What the command line says of the failure ("" when none)."""
        if not self.worker:
            return ""
        if self.key:
            why = self.reason or (
                "the run is encrypted with a payload key it does not have (and its own "
                "message is encrypted with a key this command lacks: the worker and this "
                "command have different keys)"
            )
            return cannot_read(self.worker, why)
        why = self.reason or "its reason is encrypted with a payload key this command lacks"
        return f"the worker {self.worker} failed to start the run: {why}"


async def first_task(
    handle: WorkflowHandle[Any, Any], converter: DataConverter
) -> FirstTask | None:
    """The run's first workflow task; None when the server cannot say now."""
    failed = None
    try:
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                return FirstTask(done=True)
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failed = event.workflow_task_failed_event_attributes
    except RPCError:
        return None
    if failed is None:
        return FirstTask(done=False)
    return await task_failure(failed, converter)


async def task_failure(
    failed: WorkflowTaskFailedEventAttributes, converter: DataConverter
) -> FirstTask:
    """A failed workflow task's worker and reason (a task not done)."""
    failure = failed.failure
    return FirstTask(
        done=False,
        worker=failed.identity or "(unnamed)",
        reason=await _message(failure, converter),
        key=failure.application_failure_info.type == KEY_ERROR,
    )


async def _message(failure: Failure, converter: DataConverter) -> str:
    """The failure's message; "" when it is encrypted with a key this command lacks."""
    if not failure.HasField("encoded_attributes"):
        return failure.message
    copy = Failure()
    copy.CopyFrom(failure)
    try:
        return str(await converter.decode_failure(copy))
    except Exception:  # a key this command does not have (the codec says which)
        return ""


class StartWatch:
    """Looks, once a second, at a run that has shown no progress yet; says what keeps
    it from starting (see the module's text). ``end_unstarted`` False (``runs attach``:
    the run was maybe started to wait) only says it, once, and follows on."""

    def __init__(
        self,
        warn: Callable[[str], None],
        converter: DataConverter,
        *,
        queue: str,
        wait: float,
        end_unstarted: bool,
    ) -> None:
        self.warn = warn
        self.converter = converter
        self.queue = queue
        self.wait = wait
        self.end_unstarted = end_unstarted
        self.began = time.monotonic()
        self.next = self.began
        #: a worker ran the first task: nothing more to look at
        self.started = False
        self.said: set[str] = set()

    async def look(self, handle: WorkflowHandle[Any, Any]) -> dict[str, Any] | None:
        """The run's result when it must end here (terminated: nothing of it ran), else
        None (said what there was to say, if anything)."""
        now = time.monotonic()
        if self.started or now < self.next:
            return None
        self.next = now + (LOOK if now - self.began <= self.wait else LATE_LOOK)
        first = await first_task(handle, self.converter)
        if first is None:
            return None
        if first.done:
            self.started = True
            return None
        refusal = first.refusal()
        if first.key and self.end_unstarted:
            await handle.terminate(refusal)
            return {"error": f"{refusal}; nothing ran", "exit_code": 2}
        if refusal:
            self._once(f"{refusal}; Temporal offers it again")
        if now - self.began <= self.wait:
            return None
        why = (
            f"no worker took the run from task queue {show_value(self.queue)} "
            f"within {self.wait:g} s "
            f"(start one: squall worker --task-queue {self.queue})"
        )
        if refusal:
            why = f"no worker could start the run within {self.wait:g} s: {refusal}"
        if self.end_unstarted:
            await handle.terminate(why)
            return {"error": f"{why}; nothing ran", "exit_code": 2 if first.key else 3}
        self._once(f"{why}; waiting for one")
        return None

    def _once(self, text: str) -> None:
        if text not in self.said:
            self.said.add(text)
            self.warn(text)
