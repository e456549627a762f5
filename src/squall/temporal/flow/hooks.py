"""The run's experiment-level hooks (controls, plugins) as the workflow calls them:
``squall.hook`` activities on the own task queue of the worker that started the run (its
controls keep their state in that process). A stop a hook asks for stops the run.

Fail-safe: the controls are the run's safeguards, so a run that loses them (their
worker died, was shut down, or a hook broke) is stopped as a safeguard stops it (kind
``safeguard``, name ``controls-lost``: nothing more of the method starts, what runs is
stopped, the rollbacks owed are played, ``default`` included); the later hooks are not
called (a control's state cannot move to another worker). Once the run has decided its
rollbacks there is nothing left to stop: the journal's reasons say it.

A worker that is starved, not dead, is not taken for lost (when it says so in the
run's header, ``guarded``): a hook whose heartbeat times out is offered again on the same
queue (this worker process's own), and that worker answers with the first call's result
(:meth:`squall.temporal.runhooks.RunHooks.once`: a control is never called twice); a
``squall.guard`` activity heartbeats there between the hooks and is offered again the
same way. Only a queue nobody takes work from for ``schedule_to_start`` seconds (the
process is gone) loses the controls.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

from squall.temporal.flow.failures import heartbeat_of
from squall.temporal.flow.state import FlowState

with workflow.unsafe.imports_passed_through():
    from squall.engine.context import Interruption
    from squall.engine.machine import Halted
    from squall.temporal.activities import GUARD, HOOK
    from squall.temporal.payloads import fitted_journal
    from squall.temporal.runhooks import HookInput, HookResult

__all__ = ["GUARD_DAYS", "HOOK_HOURS", "LOST", "HookSteps"]

#: hours an experiment-level hook may run (a backstop: its worker heartbeats)
HOOK_HOURS = 1
#: days the guard of a run's controls may run (a backstop: the run cancels it)
GUARD_DAYS = 366
#: the interruption's name when the run stopped because it lost its controls
LOST = "controls-lost"
#: the workflow patch under which losing the controls stops the run
FAIL_SAFE = "squall-controls-lost-stops"


class HookSteps(FlowState):
    """``Hook`` steps, and the guard of the worker that holds the run's controls."""

    async def _hook(self, name: str) -> None:
        """An experiment-level hook, called on the worker that holds the run's hooks; a
        stop it asked for, or the loss of the controls, stops the run (``Halted``)."""
        queue = self._hook_queue
        if not queue or self._hooks_lost:
            return
        run = self._input
        self._last_hook = name
        state = fitted_journal(self._journal.to_dict())
        call = workflow.start_activity(
            HOOK,
            HookInput(run=self._carried, name=name, state=state),
            result_type=HookResult,
            task_queue=queue,
            schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
            start_to_close_timeout=timedelta(hours=HOOK_HOURS),
            schedule_to_close_timeout=timedelta(hours=HOOK_HOURS) if self._guarded else None,
            heartbeat_timeout=timedelta(seconds=run.heartbeat),
            retry_policy=self._hook_retries(),
            summary=name,
        )
        self._hook_call = call
        try:
            result: HookResult = await call
        except ActivityError as exc:
            self._lose_hooks(f"at {name}", exc.cause)
            result = HookResult()
        except asyncio.CancelledError:  # the guard found the controls lost meanwhile
            if not self._hooks_lost:
                raise
            result = HookResult()
        finally:
            self._hook_call = None
        if self._hooks_lost:
            if self._stop is not None and self._stop.name == LOST and not self._decided:
                raise Halted()
            return
        if name == "squall_configure" and self._guarded:
            self._guard = asyncio.create_task(self._guarding())
        if result.stop:
            self._asked(result.stop)
            raise Halted()

    def _hook_retries(self) -> RetryPolicy:
        """A hook is never called twice: offered once, unless its worker answers every
        offer with the first call's result (``guarded``): then it is offered again when
        its heartbeat times out (a starved worker), not after an error."""
        if not self._guarded:
            return RetryPolicy(maximum_attempts=1)
        return RetryPolicy(
            maximum_attempts=0,  # no limit: schedule_to_close bounds it
            maximum_interval=timedelta(seconds=1),
            non_retryable_error_types=["InputError", "StepError"],
        )

    async def _guarding(self) -> None:
        """The guard of the run's controls, from ``squall_configure`` until the run
        decided its rollbacks: it heartbeats on the controls' worker; a heartbeat timeout
        offers it again (a starved worker takes it up), a queue nobody polls within
        ``schedule_to_start`` seconds (the worker is gone) or a shut-down worker loses
        the controls, and the run is stopped (fail-safe)."""
        run = self._input
        try:
            await workflow.execute_activity(
                GUARD,
                run.run_id,
                task_queue=self._hook_queue,
                schedule_to_start_timeout=timedelta(seconds=run.schedule_to_start),
                start_to_close_timeout=timedelta(days=GUARD_DAYS),
                heartbeat_timeout=timedelta(seconds=run.heartbeat),
                retry_policy=RetryPolicy(
                    maximum_attempts=0,  # offered again while its worker lives
                    maximum_interval=timedelta(seconds=1),
                    non_retryable_error_types=["WorkerShutdown"],
                ),
                summary="the run's controls",
            )
        except ActivityError as exc:
            if not self._decided:
                self._lose_hooks(f"after {self._last_hook}", exc.cause)

    def _unguard(self) -> None:
        """The run decided its rollbacks: its controls are not guarded any more (a loss
        from now on could stop nothing; the next hook says it)."""
        self._decided = True
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _lose_hooks(self, where: str, cause: BaseException | None) -> None:
        """The run's hooks are gone (their worker died, or a hook broke): the later ones
        are not called, and the run is stopped unless it has decided its rollbacks
        already (fail-safe: it does not go on unwatched); the journal says why."""
        if self._hooks_lost:
            return
        self._hooks_lost = _lost(where, cause)
        # patched: a run whose history holds a loss that did not stop it (an older
        # squall's) replays as it ran
        if self._decided or not workflow.patched(FAIL_SAFE):
            self._emit("warning", text=self._hooks_lost)
            return
        reason = (
            f"{self._hooks_lost}; the run was stopped (it does not go on without its "
            "safeguards) and plays the rollbacks it owes"
        )
        self._request_stop(Interruption(LOST, reason, kind="safeguard"))
        call: Any = self._hook_call
        if call is not None:  # a hook offered to the lost worker: nobody will take it
            call.cancel()


def _lost(where: str, cause: BaseException | None) -> str:
    """Why the run's hooks were lost, in the user's terms."""
    if isinstance(cause, ActivityTimeout):
        who = heartbeat_of(cause)
        return (
            f"the run's controls and plugins were lost with their worker"
            f"{f' ({who})' if who else ''} {where}: it stopped answering (killed or "
            "cut off), so the hooks from there on were not called and its safeguards "
            "no longer watched the run"
        )
    why = cause.message if isinstance(cause, ApplicationError) else str(cause)
    return f"the run's hooks failed {where} ({why}): the hooks after it were not called"
