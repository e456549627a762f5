"""The steady-state hypothesis as the workflow performs it: one Temporal activity
(``squall.hypothesis``) running every probe in order on the hypothesis's queue, checked
again from its first probe when its worker is lost; and the continuous hypothesis, a loop
of those activities and durable timers while the method runs."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from squall.temporal.flow.failures import failed_entry, key_refused, why
from squall.temporal.flow.state import FlowState

with workflow.unsafe.imports_passed_through():
    from squall.engine.machine import Halted
    from squall.journal.model import HypothesisRun, RunStatus
    from squall.journal.recorder import Phase
    from squall.temporal.activities import HYPOTHESIS
    from squall.temporal.inputs import queue_of
    from squall.temporal.steps import (
        StepInput,
        StepResult,
        entry_of,
        hypothesis_from,
        run_from,
    )
    from squall.temporal.timeouts import backstop

__all__ = ["HYPOTHESIS_ATTEMPTS", "HypothesisSteps"]

#: plays of a steady-state hypothesis whose worker was lost (each on any worker)
HYPOTHESIS_ATTEMPTS = 3


class HypothesisSteps(FlowState):
    """``Hypothesis`` and ``Continuous`` steps."""

    async def _hypothesis(self, phase: str) -> HypothesisRun:
        task = asyncio.create_task(self._check(phase))
        if phase != Phase.DURING:
            self._running.add(task)
        try:
            result, interrupted, skipped = await task
        finally:
            self._running.discard(task)
        if skipped:  # a hook stopped the run before the first probe: nothing to record
            raise Halted()
        if phase == Phase.BEFORE:
            self._journal.before = result
            for probe in result.probes:
                if probe.status is RunStatus.SUCCEEDED:
                    self._outputs[probe.name] = [phase, entry_of(probe)]
        elif phase == Phase.AFTER:
            self._journal.after = result
        else:
            self._journal.during.append(result)
        if interrupted:
            raise Halted()
        return result

    async def _check(self, phase: str) -> tuple[HypothesisRun, bool, bool]:
        run, plan = self._input, self._plan
        hypothesis = plan.experiment.raw.get("steady-state-hypothesis")
        queue = (queue_of(hypothesis) if isinstance(hypothesis, dict) else None) or run.task_queue
        step = StepInput(
            run=self._carried, phase=phase, outputs=self._outputs_for(list(plan.probes))
        )
        start = workflow.now()
        try:
            result = await workflow.execute_activity(
                HYPOTHESIS,
                step,
                result_type=StepResult,
                task_queue=queue,
                schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
                start_to_close_timeout=timedelta(
                    seconds=sum(backstop(p) for p in plan.probes) or 60.0
                ),
                heartbeat_timeout=timedelta(seconds=run.heartbeat),
                # probes have no side effects (the format's contract): a hypothesis whose
                # worker was lost, or starved past its heartbeat, is checked again from
                # its first probe, so an infrastructure hiccup is not read as a deviation
                retry_policy=RetryPolicy(maximum_attempts=HYPOTHESIS_ATTEMPTS),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
                summary=f"steady-state hypothesis ({phase})",
            )
        except ActivityError as exc:
            refused = key_refused(exc)  # nothing of it ran: the run stops there
            if refused:
                self._refuse(refused)
            reason = refused or why(
                exc.cause, queue, run.schedule_to_start, "the steady-state hypothesis"
            )
            failed = run_from(failed_entry(plan.probes[0], start, reason))
            failed.tolerance_met = False
            checked = HypothesisRun(False, [failed])
            self._emit("finished", phase=phase, entry=entry_of(failed), worker="")
            return checked, bool(refused), False
        self._asked(result.stop)
        checked = hypothesis_from(result.entry)
        for text in result.warnings:
            self._emit("warning", text=text)
        for probe in checked.probes:
            self._emit("finished", phase=phase, entry=entry_of(probe), worker=result.worker)
        return checked, result.interrupted, result.skipped

    async def _continuously(self, start: bool) -> str | None:
        if start:
            self._continuous_done = False
            self._continuous = asyncio.create_task(self._checks())
            return None
        self._continuous_done = True
        task, self._continuous = self._continuous, None
        if task is None:
            return ""
        try:
            return await task
        except Exception as exc:  # reported as an aborted run
            return repr(exc)

    async def _checks(self) -> str:
        """The continuous hypothesis: a check every ``frequency`` seconds (durable
        timers) while the method runs; fail-fast as the local engine counts it."""
        plan = self._plan
        total = deviated = 0
        while not self._continuous_done and not self.stopped:
            try:
                result = await self._hypothesis(Phase.DURING)
            except Halted:
                return ""
            total += 1
            deviated += 0 if result.steady_state_met else 1
            if plan.fail_fast and deviated and deviated * 100.0 / total >= plan.fail_fast_ratio:
                self._fail_fast = True
                return ""
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._continuous_done, timeout=timedelta(seconds=plan.frequency)
                )
        return ""
