"""A squall activity (of the method, or a rollback) as the workflow performs it: one
Temporal activity (``squall.activity``) on the task queue it is routed to, between its
pauses when the workflow sleeps them as durable timers; a Temporal failure (no worker,
worker lost) becomes a failed entry; an owed rollback waits for a worker of its queue
and is played again on another one when its worker is lost."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from squall.temporal.flow.execute import execute_step
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
    from squall.show import show_value
    from squall.temporal.activities import ACTIVITY
    from squall.temporal.inputs import activity_queue
    from squall.temporal.playends import ABANDONED
    from squall.temporal.steps import StepInput, StepResult, run_from
    from squall.temporal.timeouts import backstop, durable_pauses

__all__ = ["ActivitySteps"]

#: outputs later activities may use come from these phases (squall.engine.outputs)
_SOURCES = (Phase.BEFORE, Phase.METHOD, Phase.ROLLBACKS)
#: the workflow patch under which the workflow offers an owed rollback again itself
OFFERS = "squall-rollbacks-offered-again"
#: the workflow patch under which a stop during the rollbacks ends their waits
ENDS_WAITS = "squall-stop-ends-rollback-waits"
#: most seconds between two offers of a rollback whose play did not end
LOST_WAIT = 30.0
#: most seconds between two offers of a rollback no worker that took it could read (a
#: wait that may last: few offers, few events in the run's history)
REFUSED_WAIT = 60.0


def _backoff(tries: int, most: float) -> float:
    """Seconds before the next offer: 1, 2, 4... at most ``most``."""
    return float(min(2 ** min(tries, 10), most))


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
        if result.worker:  # where it ran (a local run's entries have none: all ran on `node`)
            run.squall = {**(run.squall or {}), "worker": result.worker}
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
        self._finished(phase, run, result.worker)
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
                again = await self._offered_again(exc, step, activity, queue) if rollback else None
                if again is not None and self._waits_ended:  # a stop ended its wait
                    return self._unplayed_rollback(activity, start, queue)
                if again is not None:  # an owed rollback never gives up by itself
                    step = again
                    continue
                refused = key_refused(exc)
                if refused:  # nothing of it ran: the run stops there
                    self._refuse(refused)
                    entry = dumps(failed_entry(activity, start, refused))
                    return StepResult(entry=entry, interrupted=True)
                named = f"activity {show_value(activity.name)}"
                reason = why(exc.cause, queue, run.schedule_to_start, named)
                lost = heartbeat_of(exc.cause)  # the worker lost with it, if known
                return StepResult(entry=dumps(failed_entry(activity, start, reason)), worker=lost)
            except asyncio.CancelledError:  # stopped before a worker took it
                reason = "interrupted by a stop request before it started"
                entry = dumps(failed_entry(activity, start, reason))
                return StepResult(entry=entry, interrupted=True)

    async def _offered_again(
        self, error: ActivityError, step: StepInput, activity: Activity, queue: str
    ) -> StepInput | None:
        """An owed rollback that did not play to its end is offered again, saying why
        when it waits (no worker of its queue; a worker that cannot read the run: it
        waits for one that has the run's payload key); the step to offer, or None when
        the failure is final (bad configuration, a bug)."""
        lost = heartbeat_of(error.cause)
        if no_worker(error.cause):
            self._emit(
                "warning",
                text=f"rollback {show_value(activity.name)} waits for a worker of task queue "
                f"{show_value(queue)}: start one: squall worker --task-queue {queue}",
            )
            return dataclasses.replace(step, lost=step.lost or lost)
        if not self._offers:  # a run an older squall began: Temporal retried it
            return None
        refused = key_refused(error)
        if refused:  # nothing of it ran: it waits for a worker that can read it
            said = (  # names spelt as JSON, as in the run's other reasons
                f"rollback {show_value(activity.name)} waits for a worker of task queue "
                f"{show_value(queue)} that can read the run: {refused}"
            )
            if said not in self._waits:
                self._waits.append(said)
                self._emit("warning", text=said)
            self._refusals += 1
            await self._between_offers(_backoff(self._refusals, REFUSED_WAIT))
            return step
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            return None
        await self._between_offers(_backoff(step.tried, LOST_WAIT))  # lost, shut down, too long
        return dataclasses.replace(step, lost=lost or step.lost, tried=step.tried + 1)

    async def _between_offers(self, seconds: float) -> None:
        """Wait ``seconds`` before offering a rollback again; a stop during the
        rollbacks ends the wait (:meth:`FlowState._end_waits`)."""
        if not self._ends_waits:  # a run an older squall began
            await workflow.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(lambda: bool(self._waits_ended), timeout=seconds)

    def _unplayed_rollback(self, activity: Activity, start: Any, queue: str) -> StepResult:
        """An owed rollback whose wait for a worker a stop ended: failed, NOT played,
        and said loudly (a warning, the journal's reasons)."""
        reason = (
            f"NOT played: {self._waits_ended}, while it waited for a worker of task queue "
            f"{show_value(queue)}; it is owed: what the method changed may still be in "
            "place (play it by hand)"
        )
        said = f"rollback {show_value(activity.name)} {reason}"
        self._unplayed.append(said)
        self._emit("warning", text=said)
        return StepResult(entry=dumps(failed_entry(activity, start, reason)))

    async def _attempts(
        self, step: StepInput, activity: Activity, queue: str, rollback: bool
    ) -> StepResult:
        """The Temporal activity: once (never run twice: a worker silent past its
        heartbeat timeout is asked for its play's result, flow.resume); a rollback that
        did not play to its end is offered again by :meth:`_offered_again`."""
        try:
            return await self._played(step, activity, queue, rollback)
        except ActivityError as exc:
            what = "rollback" if rollback else f"{step.phase} activity"
            summary = f"{what} {show_value(activity.name)}"
            resumed = await self._resumed(ACTIVITY, step, exc, backstop(activity), summary)
            if resumed is None:
                raise
            return resumed

    async def _played(
        self, step: StepInput, activity: Activity, queue: str, rollback: bool
    ) -> StepResult:
        return await execute_step(
            ACTIVITY,
            step,
            self._input,
            queue=queue,
            seconds=backstop(activity),
            retry_policy=RetryPolicy(
                # 0: no limit; 1 for a rollback too in a run begun by this squall: the
                # workflow offers it again itself, and says why it waits (_offered_again)
                maximum_attempts=0 if rollback and not self._offers else 1,
                maximum_interval=timedelta(seconds=LOST_WAIT),
                non_retryable_error_types=["InputError"],
            ),
            summary=f"{step.phase} {activity.name}",
        )
