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
  asked for its play's result on its own queue (a starved worker answers: the play is
  not played twice, see :mod:`squall.temporal.flow.resume`), and lost when it does not
  take that within ``schedule_to_start``: a method activity is then recorded as failed
  ("worker lost", never run twice, it may have been partly done); a rollback is retried
  on another worker;
- the steady-state hypothesis: one Temporal activity (``squall.hypothesis``) running every
  probe in order on the hypothesis's queue;
- background activities and parallel groups: concurrent Temporal activities;
- the continuous hypothesis: a loop of hypothesis activities and durable timers;
- a hook (controls, plugins): the experiment-level ones are ``squall.hook`` activities on
  the own task queue of the worker that started the run (its controls keep their state
  in that process); the hypothesis's and activities' hooks run with them on their
  workers. What hooks ask for comes back in the activities' results (a stop, repeats);
  a stop a control asks for from its own thread (a safeguard's breach) comes as the
  ``stop`` signal. A hook worker that is lost (guarded by a ``squall.guard`` activity
  between the hooks) loses the run's controls: the later hooks are not called and the
  run is stopped as a safeguard stops it, its rollbacks played (fail-safe, see
  :mod:`squall.temporal.flow.hooks`);
- ``stop`` (signal): no further method activity starts, the running ones are cancelled
  (their workers stop them), the rollbacks are played as the strategy says (a stop
  counts as a safeguard: ``default`` plays them);
- ``squall.held`` (signal): a worker says Temporal gave up its play while it goes on
  there (see :mod:`squall.temporal.flow.resume`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from squall.temporal.flow.activity import ENDS_WAITS, OFFERS
from squall.temporal.flow.failures import key_refused, why
from squall.temporal.flow.groups import GroupSteps
from squall.temporal.flow.hooks import LOST, HookSteps
from squall.temporal.flow.hypothesis import HypothesisSteps
from squall.temporal.flow.resume import HELD, RESUMES

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
    from squall.journal.model import Journal
    from squall.temporal.activities import HELD_SIGNAL, RECORD, START
    from squall.temporal.inputs import RunInput, plan_of
    from squall.temporal.names import WORKFLOW_NAME
    from squall.temporal.payloads import fitted_journal
    from squall.temporal.runhooks import KINDS

__all__ = ["ExperimentWorkflow"]


@workflow.defn(name=WORKFLOW_NAME)
class ExperimentWorkflow(GroupSteps, HypothesisSteps, HookSteps):
    """The run: its signals and queries, and the steps the phase machine issues, each
    performed by the part of :mod:`squall.temporal.flow` that knows it."""

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
        if kind not in KINDS:  # a user's stop, not a control's: rollbacks' waits end
            self._end_waits(interruption.reason)
        self._request_stop(interruption)

    @workflow.signal(name=HELD_SIGNAL)
    def held(self, activity_id: str, queue: str, identity: str) -> None:
        """A worker says Temporal gave up its play ``activity_id`` (its heartbeat timed
        out) while the play goes on there: it is asked for on its own ``queue``
        (flow.resume)."""
        self._held(activity_id, queue, identity)

    @workflow.query
    def progress(self, since: int) -> dict[str, Any]:
        """Progress events from ``since`` on (the command line prints them), in answers
        of bounded size (``more``: ask again from ``next``)."""
        return self._answer(since)

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
        self._plan = plan_of(run)
        header = await self._header(run)
        if "error" in header or "problems" in header:  # it did not start: nothing ran
            self._done = True
            return header
        journal = self._open(run, header)
        deadline = self._plan.experiment.runtime.timeout
        self._deadline = asyncio.create_task(self._expire(deadline)) if deadline else None
        await self._drive(run_steps(self._plan, self, self._facts))
        self._unguard()
        if self._hooks_lost and not (self._stop is not None and self._stop.name == LOST):
            journal.reasons.append(self._hooks_lost)  # lost once the rollbacks were decided
        journal.reasons.extend(self._waits)  # rollbacks a worker could not read
        journal.reasons.extend(self._unplayed)  # rollbacks a stop gave up waiting for
        text = fitted_journal(journal.to_dict())  # a payload of Temporal's size at most
        written = await self._record(run, text) if run.record_on_worker else ""
        self._done = True
        if self._refused:  # the command line exits 2 (a configuration error)
            return {"journal": text, "journal_path": written, "refused": self._refused}
        return {"journal": text, "journal_path": written}

    async def _header(self, run: RunInput) -> dict[str, Any]:
        """The journal's header, from the worker that resolved the run (``squall.start``);
        or why the run did not start: ``{"error", "exit_code"}`` (bad configuration:
        exit 2, no worker: 3) or ``{"problems"}`` (what that worker found cannot run)."""
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
        except ActivityError as exc:
            refused = key_refused(exc)  # the worker cannot read the run: bad configuration
            if refused:
                return {"error": f"{refused}; nothing ran", "exit_code": 2}
            bad = isinstance(exc.cause, ApplicationError) and exc.cause.type == "InputError"
            reason = why(exc.cause, run.task_queue, run.schedule_to_start, "the run's start")
            return {"error": reason, "exit_code": 2 if bad else 3}
        found: dict[str, Any] = json.loads(header)
        if "problems" in found:
            if run.record_on_worker:  # nobody follows it: its worker's history says so
                await self._record(run, json.dumps({"problems": found["problems"]}))
            return {"problems": found["problems"]}
        return found

    def _open(self, run: RunInput, header: dict[str, Any]) -> Journal:
        """The run's journal, from its header; the run has started."""
        self._hook_queue = str(header.get("hooks") or "")
        self._guarded = bool(header.get("guarded"))  # none in a run an older squall began
        self._pauses = dict(header.get("pauses") or {})
        self._resumes = workflow.patched(RESUMES)  # False when replaying an older run
        self._offers = workflow.patched(OFFERS)
        self._ends_waits = workflow.patched(ENDS_WAITS)
        self._held_said = workflow.patched(HELD)
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
        return journal

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
                self._unguard()
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
