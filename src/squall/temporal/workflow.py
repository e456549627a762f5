"""One experiment run as one Temporal workflow (workflow id = run id).

The workflow drives the same phase machine as the local engine
(:func:`squall.engine.machine.run_steps`): the machine decides, the workflow performs
each step with Temporal activities (run by ``squall worker`` processes on the task
queue each activity is routed to), durable timers and signals. Owed rollbacks are
workflow state: they are played whatever happens to the command line that started the
run, and a rollback whose worker dies is retried on another worker of its queue.

What a step becomes:

- an activity, a rollback: one Temporal activity (``squall.activity``); its squall
  ``timeout``, ``retry`` and ``wait_until`` run inside it, on the worker, as locally;
  start-to-close is a backstop computed from them; a worker that stops heartbeating is
  lost: a method activity is then recorded as failed ("worker lost", never run twice, it
  may have been partly done); a rollback is retried on another worker;
- the steady-state hypothesis: one Temporal activity (``squall.hypothesis``) running every
  probe in order on the hypothesis's queue;
- background activities and parallel groups: concurrent Temporal activities;
- the continuous hypothesis: a loop of hypothesis activities and durable timers;
- a hook (controls, plugins): the experiment-level ones are ``squall.hook`` activities on
  the own task queue of the worker that started the run (its controls keep their state
  in that process); the hypothesis's and activities' hooks run with them on their
  workers. What hooks ask for comes back in the activities' results (a stop, repeats);
  a stop a control asks for from its own thread (a safeguard's breach) comes as the
  ``stop`` signal. A hook worker that is lost loses the run's controls: the later hooks
  are not called, the run goes on, the journal's reasons say so;
- ``stop`` (signal): no further method activity starts, the running ones are cancelled
  (their workers stop them), the rollbacks are played as the strategy says (a stop
  counts as a safeguard: ``default`` plays them).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from squall.engine.context import Interruption
    from squall.engine.machine import (
        Announce,
        Background,
        Continuous,
        Decide,
        Finish,
        Group,
        Halted,
        Hook,
        Hypothesis,
        Join,
        RollbacksEnd,
        RollbacksStart,
        Run,
        Step,
        run_steps,
    )
    from squall.engine.rules import finish_journal, played_names
    from squall.engine.signals import signal_interruption
    from squall.engine.verdict import RunFacts
    from squall.experiment.groups import ParallelGroup
    from squall.experiment.model import Activity
    from squall.experiment.outputs import activity_output_refs
    from squall.journal.model import ActivityRun, GroupRun, HypothesisRun, Journal, RunStatus
    from squall.journal.recorder import Phase, put_group
    from squall.journal.store import dumps, format_journal
    from squall.masking import mask_value
    from squall.plan import Plan
    from squall.temporal.activities import ABANDONED, ACTIVITY, HOOK, HYPOTHESIS, RECORD, START
    from squall.temporal.inputs import RunInput, activity_queue, plan_of, queue_of
    from squall.temporal.names import WORKFLOW_NAME
    from squall.temporal.runhooks import KINDS, HookInput, HookResult, interruption_of
    from squall.temporal.steps import StepInput, StepResult, hypothesis_from, run_from
    from squall.temporal.timeouts import backstop, durable_pauses

__all__ = ["ExperimentWorkflow"]

#: plays of a steady-state hypothesis whose worker was lost (each on any worker)
HYPOTHESIS_ATTEMPTS = 3
#: hours an experiment-level hook may run (a backstop: its worker heartbeats)
HOOK_HOURS = 1
#: outputs later activities may use come from these phases (squall.engine.outputs)
_SOURCES = (Phase.BEFORE, Phase.METHOD, Phase.ROLLBACKS)


@workflow.defn(name=WORKFLOW_NAME)
class ExperimentWorkflow:
    """State the machine reads (``MachineState``) and the steps' executor."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._stop: Interruption | None = None
        self._in_rollbacks = False
        self._fail_fast = False
        self._aborted_by = ""
        self._done = False
        #: running activities of the method/hypothesis (cancelled by a stop)
        self._running: set[asyncio.Task[Any]] = set()
        self._background: dict[str, list[asyncio.Task[Any]]] = {}
        self._continuous: asyncio.Task[str] | None = None
        self._continuous_done = False
        #: the running group's places: (phase, index)
        self._members: list[tuple[str, int]] = []
        #: group members cancelled, by (phase, index): why
        self._cancelled: dict[tuple[str, int], str] = {}
        #: the latest successful entry of each name, for ${outputs...}: name -> [phase, entry]
        self._outputs: dict[str, list[Any]] = {}
        #: the own task queue of the worker that holds the run's hooks ("" when none)
        self._hook_queue = ""
        #: why the run's hooks were lost (their worker died), "" while they are not
        self._hooks_lost = ""

    # -- what the machine reads ------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """A stop was asked (rollbacks, once started, are not stopped by it)."""
        return self._stop is not None and not self._in_rollbacks

    @property
    def interruption(self) -> Interruption | None:
        return self._stop

    @property
    def fail_fast_tripped(self) -> bool:
        return self._fail_fast

    @property
    def aborted_by(self) -> str:
        return self._aborted_by

    # -- signals and queries -----------------------------------------------------------

    @workflow.signal
    def stop(
        self,
        reason: str,
        received: str = "",
        kind: str = "",
        name: str = "",
        play_rollbacks: bool = True,
        wait_background: bool = False,
    ) -> None:
        """Stop the run: nothing more of the method starts, what runs is cancelled.
        ``received``: the signal the command line following the run received (SIGINT,
        SIGTERM, SIGUSR1, SIGUSR2): the run stops as that signal stops a local run
        (kind ``signal``; SIGUSR1 lets background activities end, SIGUSR2 plays no
        rollback). A worker whose control asked for the stop (a safeguard's breach)
        sends the stop's ``kind``, ``name`` and the rest of it. Without either it is
        ``squall stop`` (kind ``stop``)."""
        interruption = signal_interruption(received)
        if interruption is None and kind in KINDS:
            interruption = Interruption(
                name or kind, reason, play_rollbacks, wait_background, kind=kind
            )
        if interruption is None:
            why = reason or "the run was stopped (squall stop)"
            interruption = Interruption("stop", why, kind="stop")
        self._request_stop(interruption)

    def _request_stop(self, interruption: Interruption) -> None:
        if self._stop is not None or self._done:
            return
        self._stop = interruption
        if self._in_rollbacks:  # recorded (the run ends interrupted), not obeyed
            self._emit(
                "warning",
                text=f"stop requested during the rollbacks: {interruption.reason}; "
                "they are played to their end",
            )
            return
        self._emit("warning", text=f"stop requested: {interruption.reason}")
        # SIGUSR1 ("gracefully"): the background activities run to their end
        spared: set[asyncio.Task[Any]] = set()
        if interruption.wait_background:
            spared = {t for tasks in self._background.values() for t in tasks}
        with contextlib.suppress(RuntimeError):  # a signal's handler runs outside any task
            current = asyncio.current_task()
            if current is not None:  # a step whose own hook asked for it: it ends by itself
                spared.add(current)
        for task in list(self._running - spared):
            task.cancel()
        for key in self._members:
            self._cancelled.setdefault(key, "the run was stopped")

    def _asked(self, stop: list[Any]) -> None:
        """A stop a hook asked for, from a step's or a hook's result."""
        interruption = interruption_of(stop)
        if interruption is not None:
            self._request_stop(interruption)

    @workflow.query
    def progress(self, since: int) -> dict[str, Any]:
        """Progress events from ``since`` on (the command line prints them)."""
        return {"events": self._events[since:], "next": len(self._events), "done": self._done}

    # -- the run -----------------------------------------------------------------------

    @workflow.run
    async def run(self, run: RunInput) -> dict[str, Any]:
        if not run.run_id:  # a schedule's run: its workflow id ("NAME-<fire time>")
            run = dataclasses.replace(run, run_id=workflow.info().workflow_id)
        self._input = run
        #: what activities are given: the run without its document, which a worker
        #: reads once per run from this workflow's input: the history holds it once,
        #: not once per activity (a large experiment would outgrow Temporal's limits)
        self._carried = dataclasses.replace(run, document="")
        self._plan: Plan = plan_of(run)
        try:
            header = await workflow.execute_activity(
                START,
                run,
                task_queue=run.task_queue,
                schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(seconds=run.heartbeat),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError as exc:  # bad configuration (exit 2), no worker (3)
            self._done = True
            bad = isinstance(exc.cause, ApplicationError) and exc.cause.type == "InputError"
            why = _why(exc.cause, run.task_queue, run.schedule_to_start, "the run's start")
            return {"error": why, "exit_code": 2 if bad else 3}
        header = json.loads(header)
        if "problems" in header:  # the first worker found what cannot run: nothing ran
            if run.record_on_worker:  # nobody follows it: its worker's history says so
                await self._record(run, json.dumps({"problems": header["problems"]}))
            self._done = True
            return {"problems": header["problems"]}
        self._hook_queue = str(header.get("hooks") or "")
        self._started = workflow.now()
        journal = Journal(
            experiment=header["experiment"],
            start=self._started.isoformat(),
            platform=header["platform"],
            node=header["node"],
            squall_version=header["squall_version"],
            run_id=run.run_id,
        )
        journal.experiment_hash = header["experiment_hash"]
        self._journal = journal
        self._emit("start", title=str(journal.experiment.get("title", "")), run_id=run.run_id)
        self._facts = RunFacts()
        deadline = self._plan.experiment.runtime.timeout
        self._deadline = asyncio.create_task(self._expire(deadline)) if deadline else None
        await self._drive(run_steps(self._plan, self, self._facts))
        if self._hooks_lost:
            journal.reasons.append(self._hooks_lost)
        text = format_journal(journal.to_dict())
        written = await self._record(run, text) if run.record_on_worker else ""
        self._done = True
        return {"journal": text, "journal_path": written}

    async def _record(self, run: RunInput, text: str) -> str:
        """A run nobody follows: the worker records it (its journal, or the problems
        that kept it from starting) in its history and journal directory."""
        written: str = await workflow.execute_activity(
            RECORD,
            args=[run, text],
            task_queue=run.task_queue,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=run.heartbeat),
            retry_policy=RetryPolicy(maximum_attempts=5),
        )
        return written

    async def _drive(self, steps: Any) -> None:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(reply)
            except StopIteration:
                return
            reply, error = None, None
            try:
                reply = await self._perform(step)
            except Halted as exc:
                error = exc

    async def _perform(self, step: Step) -> Any:
        match step:
            case Run(activity=activity, phase=phase):
                return await self._foreground(activity, phase)
            case Hypothesis(phase=phase):
                return await self._hypothesis(phase)
            case Announce(text=text):
                self._emit("phase", text=text)
            case Hook(name=name):
                await self._hook(name)
            case Background(activity=activity, phase=phase):
                index = self._reserve(phase)
                task = asyncio.create_task(self._entry_at(activity, phase, index, None))
                self._background.setdefault(phase, []).append(task)
                self._running.add(task)
            case Join(phase=phase):
                tasks = self._background.pop(phase, [])
                if tasks:
                    await asyncio.gather(*tasks, return_exceptions=True)
            case Group(group=group, activities=activities, phase=phase):
                await self._group(group, activities, phase)
            case Continuous(start=start):
                return await self._continuously(start)
            case Decide(play=play):
                if self._deadline is not None:  # the rollbacks are not cut short by it
                    self._deadline.cancel()
                self._facts.apply(self._journal)
                self._emit("decided", play=play)
            case RollbacksStart():
                self._in_rollbacks = True
            case RollbacksEnd():
                return played_names(self._journal.rollbacks)
            case Finish(owed=owed):
                journal = self._journal
                journal.end = workflow.now().isoformat()
                journal.duration = (workflow.now() - self._started).total_seconds()
                finish_journal(journal, self._facts, self._stop, owed)
        return None

    async def _expire(self, seconds: float) -> None:
        """``runtime.timeout``: a durable timer that stops the run as the local deadline
        does (kind ``deadline``: the rollbacks are played, the run is broken)."""
        await workflow.sleep(seconds)
        reason = f"the run exceeded its deadline of {seconds:g}s (runtime.timeout)"
        self._request_stop(Interruption("deadline", reason, kind="deadline"))

    # -- activities --------------------------------------------------------------------

    def _reserve(self, phase: str) -> int:
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        entries.append(None)
        return len(entries) - 1

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
        pauses = durable_pauses(self._plan, activity)
        if pauses is None:
            result = await self._execute(activity, phase, group)
        else:
            result = await self._paused(activity, phase, group, pauses, shown)
        run = run_from(result.entry)
        if group is not None:
            run.squall = {**(run.squall or {}), "group": group.name}
            why = self._cancelled.get((phase, index))
            if why is not None and run.reason.endswith(ABANDONED):  # as a local group says
                run.reason = f"cancelled: {why}; {ABANDONED}"
                run.exception = [f"{run.reason}\n"]
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        entries[index] = run
        if phase == Phase.METHOD and result.aborted and not self._aborted_by:
            self._aborted_by = activity.name
        if run.status is RunStatus.SUCCEEDED and phase in _SOURCES and not self._is_dry(activity):
            self._outputs[activity.name] = [phase, result.entry]
        for text in result.warnings:
            self._emit("warning", text=text)
        self._emit("finished", phase=phase, entry=_shown(run), worker=result.worker)
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
                entry = _failed_entry(activity, start, reason, temporal=False)
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
                if rollback and _no_worker(exc.cause):  # an owed rollback never gives up
                    lost = _heartbeat_of(exc.cause)
                    if lost and not step.lost:  # its worker was lost before: say so
                        step = dataclasses.replace(step, lost=lost)
                    self._emit(
                        "warning",
                        text=f"rollback {activity.name!r} waits for a worker of task queue "
                        f"{queue!r}: start one: squall worker --task-queue {queue}",
                    )
                    continue
                reason = _why(exc.cause, queue, run.schedule_to_start, activity.name)
                return StepResult(entry=dumps(_failed_entry(activity, start, reason)))
            except asyncio.CancelledError:  # stopped before a worker took it
                reason = "interrupted by a stop request before it started"
                entry = dumps(_failed_entry(activity, start, reason))
                return StepResult(entry=entry, interrupted=True)

    async def _attempts(
        self, step: StepInput, activity: Activity, queue: str, rollback: bool
    ) -> StepResult:
        """The Temporal activity: once for the method (never run twice), until it is
        played to its end for a rollback (again on another worker when its worker is
        lost or it runs past its time limit)."""
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

    def _outputs_for(self, activities: list[Activity]) -> list[list[Any]]:
        names = {ref.name for a in activities for ref in activity_output_refs(a)}
        return [self._outputs[name] for name in sorted(names) if name in self._outputs]

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
                    self._outputs[probe.name] = [phase, _entry_of(probe)]
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
            reason = _why(exc.cause, queue, run.schedule_to_start, "the steady-state hypothesis")
            failed = run_from(_failed_entry(plan.probes[0], start, reason))
            failed.tolerance_met = False
            checked = HypothesisRun(False, [failed])
            self._emit("finished", phase=phase, entry=_shown(failed), worker="")
            return checked, False, False
        self._asked(result.stop)
        checked = hypothesis_from(result.entry)
        for text in result.warnings:
            self._emit("warning", text=text)
        for probe in checked.probes:
            self._emit("finished", phase=phase, entry=_shown(probe), worker=result.worker)
        return checked, result.interrupted, result.skipped

    async def _group(
        self, group: ParallelGroup, activities: tuple[Activity, ...], phase: str
    ) -> None:
        """The group's activities as concurrent Temporal activities; ``first-failure``
        cancels the others at the first failure."""
        indexes = [self._reserve(phase) for _ in activities]
        summary = GroupRun(
            name=group.name,
            phase=phase,
            join=group.join,
            start=workflow.now().isoformat(),
            activities=[a.name for a in activities],
        )
        put_group(self._journal.groups, summary.replace())
        started = workflow.now()
        tasks = [
            asyncio.create_task(self._entry_at(a, phase, i, group))
            for a, i in zip(activities, indexes, strict=True)
        ]
        self._members = [(phase, i) for i in indexes]
        if phase != Phase.ROLLBACKS:
            self._running.update(tasks)
        cancelled: set[int] = set()
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            failed = any(self._entry(phase, indexes[tasks.index(t)]) for t in done)
            if failed and group.join == "first-failure" and pending and not cancelled:
                for task in pending:
                    number = tasks.index(task)
                    cancelled.add(number)
                    self._cancelled[(phase, indexes[number])] = (
                        "another activity of the group failed (join: first-failure)"
                    )
                    task.cancel()
        self._running.difference_update(tasks)
        self._members = []
        for number, (activity, index) in enumerate(zip(activities, indexes, strict=True)):
            run = self._journal_entry(phase, index)
            if run is None or run.status is not RunStatus.FAILED:
                continue
            if number in cancelled or self.stopped:
                run.squall = {**(run.squall or {}), "cancelled": True}
                summary.cancelled.append(activity.name)
            else:
                summary.failed.append(activity.name)
        if self.stopped and (summary.failed or summary.cancelled):
            summary.status = "interrupted"
        elif summary.failed or summary.cancelled:
            summary.status = "failed"
        else:
            summary.status = "succeeded"
        summary.end = workflow.now().isoformat()
        summary.duration = (workflow.now() - started).total_seconds()
        put_group(self._journal.groups, summary)

    def _journal_entry(self, phase: str, index: int) -> ActivityRun | None:
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        return entries[index]

    def _entry(self, phase: str, index: int) -> bool:
        """Whether the entry at ``index`` failed."""
        run = self._journal_entry(phase, index)
        return run is not None and run.status is RunStatus.FAILED

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

    # -- hooks -------------------------------------------------------------------------

    async def _hook(self, name: str) -> None:
        """An experiment-level hook, called on the worker that holds the run's hooks; a
        stop it asked for stops the run (``Halted``)."""
        queue = self._hook_queue
        if not queue or self._hooks_lost:
            return
        run = self._input
        try:
            result: HookResult = await workflow.execute_activity(
                HOOK,
                HookInput(
                    run=self._carried, name=name, state=format_journal(self._journal.to_dict())
                ),
                result_type=HookResult,
                task_queue=queue,
                schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
                start_to_close_timeout=timedelta(hours=HOOK_HOURS),
                heartbeat_timeout=timedelta(seconds=run.heartbeat),
                retry_policy=RetryPolicy(maximum_attempts=1),  # a control never runs twice
                summary=name,
            )
        except ActivityError as exc:
            self._lose_hooks(name, exc.cause)
            return
        if result.stop:
            self._asked(result.stop)
            raise Halted()

    def _lose_hooks(self, name: str, cause: BaseException | None) -> None:
        """The run's hooks are gone (their worker died, or a hook broke): the later ones
        are not called; the journal's reasons and a warning say so."""
        if isinstance(cause, ActivityTimeout):
            who = _heartbeat_of(cause)
            self._hooks_lost = (
                f"the run's controls and plugins were lost with their worker"
                f"{f' ({who})' if who else ''} at {name}: it stopped answering (killed or "
                "cut off), so that hook and the ones after it were not called and its "
                "safeguards no longer watched the run"
            )
        else:
            why = cause.message if isinstance(cause, ApplicationError) else str(cause)
            self._hooks_lost = (
                f"the run's hooks failed at {name} ({why}): the hooks after it were not called"
            )
        self._emit("warning", text=self._hooks_lost)

    # -- progress ----------------------------------------------------------------------

    def _emit(self, kind: str, **data: Any) -> None:
        self._events.append({"kind": kind, **data})


def _shown(run: ActivityRun) -> dict[str, Any]:
    """What the progress line of an entry needs."""
    return _entry_of(run)


def _entry_of(run: ActivityRun) -> dict[str, Any]:
    entry = run.to_dict()
    entry["reason"] = run.reason
    return entry


def _heartbeat_of(cause: BaseException | None) -> str:
    """The identity the lost worker last heartbeated with ("" when none did)."""
    details = getattr(cause, "last_heartbeat_details", None) or ()
    return str(details[0]) if details else ""


def _no_worker(cause: BaseException | None) -> bool:
    return isinstance(cause, ActivityTimeout) and cause.type is TimeoutType.SCHEDULE_TO_START


def _failed_entry(
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
    return _entry_of(run)


def _why(cause: BaseException | None, queue: str, wait: float, what: str) -> str:
    """Why a Temporal activity failed, in the user's terms."""
    if isinstance(cause, ActivityTimeout):
        if cause.type is TimeoutType.SCHEDULE_TO_START:
            return (
                f"no worker of task queue {queue!r} took {what} within {wait:g} s "
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
