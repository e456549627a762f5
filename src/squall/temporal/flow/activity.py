"""A squall activity (of the method, or a rollback) as the workflow performs it: one
Temporal activity (``squall.activity``) on the task queue it is routed to, between its
pauses when the workflow sleeps them as durable timers; a Temporal failure (no worker,
worker lost) becomes a failed entry; an owed rollback waits for a worker of its queue
and is played again on another one when its worker is lost."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from squall.temporal.flow.failures import failed_entry, heartbeat_of, key_refused, no_worker, why
from squall.temporal.flow.resume import Resumes

with workflow.unsafe.imports_passed_through():
    from squall.engine.machine import Halted
    from squall.experiment.groups import ParallelGroup
    from squall.experiment.model import Activity
    from squall.journal.model import RunStatus
    from squall.journal.recorder import Phase
    from squall.journal.store import dumps
    from squall.masking import mask_value
    from squall.temporal.activities import ABANDONED, ACTIVITY
    from squall.temporal.inputs import activity_queue
    from squall.temporal.steps import StepInput, StepResult, entry_of, run_from
    from squall.temporal.timeouts import backstop, durable_pauses

__all__ = ["ActivitySteps"]

#: outputs later activities may use come from these phases (squall.engine.outputs)
_SOURCES = (Phase.BEFORE, Phase.METHOD, Phase.ROLLBACKS)


class ActivitySteps(Resumes):
    """``Run`` and ``Background`` steps, and the members of a parallel group."""

    async def _foreground(self, activity: Activity, phase: str) -> int:
        """Run a foreground activity; the iterations its hooks asked for after it."""
        index = self._reserve(phase)
        task = asyncio.create_task(self._entry_at(activity, phase, index, None))
        if phase != Phase.ROLLBACKS:
            self._running.add(task)
        try:
            result = await task
        finally:
            self._running.discard(task)
        if result.interrupted:
            raise Halted()
        return result.repeats

    async def _entry_at(
        self, activity: Activity, phase: str, index: int, group: ParallelGroup | None
    ) -> StepResult:
        """Run ``activity``, put its entry at ``index``; its result (``interrupted``: a
        stop interrupted it)."""
        shown = mask_value(dict(activity.raw))
        self._emit("started", phase=phase, activity=shown)
        pauses = durable_pauses(self._plan, activity, self._pauses)
        if pauses is None:
            result = await self._execute(activity, phase, group)
        else:
            result = await self._paused(activity, phase, group, pauses, shown)
        run = run_from(result.entry)
        if group is not None:
            run.squall = {**(run.squall or {}), "group": group.name}
            cancelled = self._cancelled.get((phase, index))
            if cancelled is not None and run.reason.endswith(ABANDONED):  # as locally
                run.reason = f"cancelled: {cancelled}; {ABANDONED}"
                run.exception = [f"{run.reason}\n"]
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        entries[index] = run
        if phase == Phase.METHOD and result.aborted and not self._aborted_by:
            self._aborted_by = activity.name
        if run.status is RunStatus.SUCCEEDED and phase in _SOURCES and not self._is_dry(activity):
            self._outputs[activity.name] = [phase, result.entry]
        for text in result.warnings:
            self._emit("warning", text=text)
        self._emit("finished", phase=phase, entry=entry_of(run), worker=result.worker)
        self._asked(result.stop)
        return result

    async def _paused(
        self,
        activity: Activity,
        phase: str,
        group: ParallelGroup | None,
        pauses: tuple[float, float],
        shown: dict[str, Any],
    ) -> StepResult:
        """The activity between its pauses, slept by the workflow as durable timers (a
        worker's death does not restart them); a stop ends a pause as it does locally:
        during the one before, the activity does not run; during the one after, the run
        stops there."""
        before, after = pauses
        start = workflow.now()
        if before > 0:
            self._emit("pausing", phase=phase, activity=shown, where="before", seconds=before)
            try:
                await workflow.sleep(before)
            except asyncio.CancelledError:
                reason = "interrupted by a stop request"
                entry = failed_entry(activity, start, reason, temporal=False)
                return StepResult(entry=dumps(entry), interrupted=True)
        result = await self._execute(activity, phase, group, worker_pauses=False)
        if after > 0 and not result.interrupted:
            self._emit("pausing", phase=phase, activity=shown, where="after", seconds=after)
            try:
                await workflow.sleep(after)
            except asyncio.CancelledError:
                result.interrupted = True
        return result

    def _is_dry(self, activity: Activity) -> bool:
        return self._plan.is_dry(activity)

    async def _execute(
        self,
        activity: Activity,
        phase: str,
        group: ParallelGroup | None,
        *,
        worker_pauses: bool = True,
    ) -> StepResult:
        """One squall activity as one Temporal activity; a Temporal failure (no worker,
        worker lost) becomes a failed entry."""
        run = self._input
        queue = activity_queue(activity, run.task_queue, group.raw if group else None)
        step = StepInput(
            run=self._carried,
            phase=phase,
            pointer=activity.pointer,
            iteration=int(activity.raw.get("iteration_index") or 0),
            outputs=self._outputs_for([activity]),
            pauses=worker_pauses,
        )
        rollback = phase == Phase.ROLLBACKS
        start = workflow.now()
        while True:
            try:
                return await self._attempts(step, activity, queue, rollback)
            except ActivityError as exc:
                if rollback and no_worker(exc.cause):  # an owed rollback never gives up
                    lost = heartbeat_of(exc.cause)
                    if lost and not step.lost:  # its worker was lost before: say so
                        step = dataclasses.replace(step, lost=lost)
                    self._emit(
                        "warning",
                        text=f"rollback {activity.name!r} waits for a worker of task queue "
                        f"{queue!r}: start one: squall worker --task-queue {queue}",
                    )
                    continue
                refused = key_refused(exc)  # (a rollback is offered again until read)
                if refused:  # nothing of it ran: the run stops there
                    self._refuse(refused)
                    entry = dumps(failed_entry(activity, start, refused))
                    return StepResult(entry=entry, interrupted=True)
                reason = why(exc.cause, queue, run.schedule_to_start, activity.name)
                return StepResult(entry=dumps(failed_entry(activity, start, reason)))
            except asyncio.CancelledError:  # stopped before a worker took it
                reason = "interrupted by a stop request before it started"
                entry = dumps(failed_entry(activity, start, reason))
                return StepResult(entry=entry, interrupted=True)

    async def _attempts(
        self, step: StepInput, activity: Activity, queue: str, rollback: bool
    ) -> StepResult:
        """The Temporal activity: once for the method (never run twice; a starved
        worker is asked for its play's result, flow.resume), until it is played to its
        end for a rollback (again on another worker when its worker is lost or it runs
        past its time limit)."""
        try:
            return await self._played(step, activity, queue, rollback)
        except ActivityError as exc:
            if rollback:
                raise
            summary = f"{step.phase} activity {activity.name!r}"
            resumed = await self._resumed(ACTIVITY, step, exc, backstop(activity), summary)
            if resumed is None:
                raise
            return resumed

    async def _played(
        self, step: StepInput, activity: Activity, queue: str, rollback: bool
    ) -> StepResult:
        run = self._input
        result: StepResult = await workflow.execute_activity(
            ACTIVITY,
            step,
            result_type=StepResult,
            task_queue=queue,
            schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
            start_to_close_timeout=timedelta(seconds=backstop(activity)),
            heartbeat_timeout=timedelta(seconds=run.heartbeat),
            retry_policy=RetryPolicy(
                maximum_attempts=0 if rollback else 1,  # 0: no limit
                maximum_interval=timedelta(seconds=30),
                non_retryable_error_types=["InputError"],
            ),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            summary=f"{step.phase} {activity.name}",
        )
        return result
