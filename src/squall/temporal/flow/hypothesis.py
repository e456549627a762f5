"""The steady-state hypothesis as the workflow performs it: one Temporal activity
(``squall.hypothesis``) running every probe in order on the hypothesis's queue, checked
again from its first probe when its worker is lost; and the continuous hypothesis, a loop
of those activities and durable timers while the method runs."""

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
from squall.temporal.flow.failures import failed_entry, heartbeat_of, key_refused, why
from squall.temporal.flow.resume import Resumes

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


class HypothesisSteps(Resumes):
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
        seconds = sum(backstop(p) for p in plan.probes) or 60.0
        try:
            result = await self._checked(step, queue, seconds)
        except ActivityError as exc:
            refused = key_refused(exc)  # nothing of it ran: the run stops there
            if refused:
                self._refuse(refused)
            reason = refused or why(
                exc.cause, queue, run.schedule_to_start, "the steady-state hypothesis"
            )
            failed = run_from(failed_entry(plan.probes[0], start, reason))
            lost = heartbeat_of(exc.cause)  # the worker lost with it, if known
            if lost:
                failed.squall = {**(failed.squall or {}), "worker": lost}
            failed.tolerance_met = False
            checked = HypothesisRun(False, [failed])
            self._finished(phase, failed, heartbeat_of(exc.cause))
            return checked, bool(refused), False
        self._asked(result.stop)
        checked = hypothesis_from(result.entry)
        for probe in checked.probes:  # where they ran
            probe.squall = {**(probe.squall or {}), "worker": result.worker}
        for text in result.warnings:
            self._emit("warning", text=text)
        for probe in checked.probes:
            self._finished(phase, probe, result.worker)
        return checked, result.interrupted, result.skipped

    async def _checked(self, step: StepInput, queue: str, seconds: float) -> StepResult:
        """The hypothesis's result: checked again from its first probe when its worker
        is lost (probes have no side effects, the format's contract), up to
        :data:`HYPOTHESIS_ATTEMPTS` plays in all; a worker silent past its heartbeat
        timeout is first asked for its play's result (flow.resume): a starved worker's
        play counts, and is not played again."""
        if not self._resumes:  # a run an older squall began: Temporal retries it
            return await self._probed(step, queue, seconds, HYPOTHESIS_ATTEMPTS)
        plays = 0
        while True:
            plays += 1
            try:
                return await self._probed(step, queue, seconds, 1)
            except ActivityError as exc:
                summary = f"the steady-state hypothesis ({step.phase})"
                resumed = await self._resumed(HYPOTHESIS, step, exc, seconds, summary)
                if resumed is not None:
                    return resumed
                if plays >= HYPOTHESIS_ATTEMPTS or not _again(exc):
                    raise
                step = dataclasses.replace(step, lost=heartbeat_of(exc.cause) or step.lost)

    async def _probed(
        self, step: StepInput, queue: str, seconds: float, attempts: int
    ) -> StepResult:
        return await execute_step(
            HYPOTHESIS,
            step,
            self._input,
            queue=queue,
            seconds=seconds,
            retry_policy=RetryPolicy(maximum_attempts=attempts),
            summary=f"steady-state hypothesis ({step.phase})",
        )

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


def _again(error: ActivityError) -> bool:
    """Whether a hypothesis that failed with ``error`` is played again (its worker was
    lost, or shut down; not a configuration error, nor no worker at all)."""
    if key_refused(error):
        return False
    cause = error.cause
    if isinstance(cause, ApplicationError):
        return not cause.non_retryable
    return isinstance(cause, ActivityTimeout) and cause.type is not TimeoutType.SCHEDULE_TO_START
