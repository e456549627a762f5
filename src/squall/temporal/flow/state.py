"""The run's state as the workflow keeps it: what the phase machine reads of the world
(``MachineState``: a stop asked, fail-fast tripped, the method aborted), the journal
being written, the running steps a stop cancels, the outputs later steps use, and the
progress events the command line reads."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from squall.engine.context import Interruption
    from squall.engine.verdict import RunFacts
    from squall.experiment.model import Activity
    from squall.experiment.outputs import activity_output_refs
    from squall.journal.model import ActivityRun, Journal
    from squall.journal.recorder import Phase
    from squall.plan import Plan
    from squall.temporal.inputs import RunInput
    from squall.temporal.runhooks import interruption_of
    from squall.temporal.steps import entry_of

__all__ = ["KEY_STOP", "PROGRESS_BYTES", "FlowState"]

#: the interruption's name when a worker could not read a step (FlowState._refuse)
KEY_STOP = "payload-key"
#: bytes of progress events one answer of the ``progress`` query holds at most (one
#: event at least): far below Temporal's 2 MiB for a payload, however long the run
PROGRESS_BYTES = 512 * 1024


class FlowState:
    """State the machine reads (``MachineState``), shared by the steps' executors."""

    #: the run as the workflow was started with it
    _input: RunInput
    #: what activities are given: the run without its document (see ``run``)
    _carried: RunInput
    _plan: Plan
    _journal: Journal
    _facts: RunFacts
    _started: datetime
    #: the ``runtime.timeout`` timer (None: no deadline)
    _deadline: asyncio.Task[None] | None

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        #: each event's size (bytes of its JSON text): the progress query's answers
        #: are bounded by them
        self._sizes: list[int] = []
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
        #: the hook worker calls each hook once however often it is offered, and runs
        #: the guard of the run's controls (its header says so; flow.hooks)
        self._guarded = False
        #: the guard's task, from squall_configure until the rollbacks are decided
        self._guard: asyncio.Task[None] | None = None
        #: the hook activity being called (cancelled when the controls are lost)
        self._hook_call: asyncio.Future[Any] | None = None
        #: the last hook called (where the controls were when they were lost)
        self._last_hook = ""
        #: the run has decided its rollbacks (a loss of the controls stops nothing now)
        self._decided = False
        #: why a worker could not read a step of the run (a payload key it lacks): the
        #: run stopped there and the command line exits 2; "" when none did
        self._refused = ""
        #: a play whose worker went silent is asked for again on that worker's own queue
        #: (flow.resume; False in a run an older squall began)
        self._resumes = False
        #: the workflow offers an owed rollback again itself, saying why it waits
        #: (flow.activity; False in a run an older squall began: Temporal retried it)
        self._offers = False
        #: why rollbacks waited for a worker that can read the run (said once each; the
        #: journal's reasons keep them)
        self._waits: list[str] = []
        #: offers of rollbacks refused so far (the wait between two grows with them)
        self._refusals = 0
        #: a stop during the rollbacks ends their waits for a worker (flow.activity;
        #: False in a run an older squall began: it did not)
        self._ends_waits = False
        #: why a stop during the rollbacks ended their waits ("" when none did)
        self._waits_ended = ""
        #: the rollbacks that stop left unplayed (said in the journal's reasons)
        self._unplayed: list[str] = []
        #: a heartbeat timeout without details waits for the worker's ``squall.held``
        #: signal (flow.resume; False in a run an older squall began)
        self._held_said = False
        #: the plays workers said Temporal gave up while they go on: activity id ->
        #: (the worker's own queue, its identity)
        self._held_plays: dict[str, tuple[str, str]] = {}
        #: the ``${name}`` pauses the run's start resolved, by activity pointer
        #: (timeouts.resolved_pauses; none in the header of a run an older squall began)
        self._pauses: dict[str, list[float | None]] = {}

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

    # -- stops -------------------------------------------------------------------------

    def _end_waits(self, reason: str) -> None:
        """``squall stop`` (or a signal the command line passed on) during the rollbacks:
        those played go on to their end; those waiting for a worker (none of their queue,
        none that can read the run, or their worker lost) are given up, not played, and
        said so loudly (flow.activity)."""
        if not self._in_rollbacks or not self._ends_waits or self._waits_ended or self._done:
            return
        self._waits_ended = reason or "the run was stopped (squall stop)"
        self._emit(
            "warning",
            text=f"stop requested during the rollbacks: {self._waits_ended}; the rollbacks "
            "being played are played to their end, those waiting for a worker are given "
            "up: NOT played",
        )

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

    def _refuse(self, reason: str) -> None:
        """A worker could not read a step (a payload key it lacks: a configuration
        error, nothing of the step ran): the run stops there, as ``squall stop`` stops
        it (its rollbacks are played), and says why; the command line exits 2."""
        self._refused = self._refused or reason
        self._request_stop(Interruption(KEY_STOP, reason, kind="stop"))

    def _asked(self, stop: list[Any]) -> None:
        """A stop a hook asked for, from a step's or a hook's result."""
        interruption = interruption_of(stop)
        if interruption is not None:
            self._request_stop(interruption)

    # -- the journal -------------------------------------------------------------------

    def _reserve(self, phase: str) -> int:
        """A place for an entry of ``phase`` in the journal (filled when it ends)."""
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        entries.append(None)
        return len(entries) - 1

    def _outputs_for(self, activities: list[Activity]) -> list[list[Any]]:
        """The entries whose outputs ``activities`` use (``${outputs...}``)."""
        names = {ref.name for a in activities for ref in activity_output_refs(a)}
        return [self._outputs[name] for name in sorted(names) if name in self._outputs]

    # -- progress ----------------------------------------------------------------------

    def _emit(self, kind: str, **data: Any) -> None:
        event = {"kind": kind, **data}
        self._events.append(event)
        self._sizes.append(len(json.dumps(event, default=str)))

    def _finished(self, phase: str, run: ActivityRun, worker: str) -> None:
        """Say that an entry ended (the command line's line for it), without its output
        and the outputs it used: the journal has them; the progress stays small."""
        entry = entry_of(run)
        entry.pop("output", None)
        squall = entry.get("squall")
        if isinstance(squall, dict) and "outputs" in squall:
            entry["squall"] = {k: v for k, v in squall.items() if k != "outputs"}
        self._emit("finished", phase=phase, entry=entry, worker=worker)

    def _answer(self, since: int) -> dict[str, Any]:
        """The progress events from ``since`` on, :data:`PROGRESS_BYTES` of them at
        most (one at least); ``more``: others follow; ``done``: the run ended and this
        is its last event."""
        end, size = since, 0
        while end < len(self._events) and (
            end == since or size + self._sizes[end] <= PROGRESS_BYTES
        ):
            size += self._sizes[end]
            end += 1
        more = end < len(self._events)
        events = self._events[since:end]
        return {
            "events": events,
            "next": max(end, since),
            "done": self._done and not more,
            "more": more,
        }
