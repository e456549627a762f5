"""The run's experiment-level hooks (controls, plugins) as the workflow calls them:
``squall.hook`` activities on the own task queue of the worker that started the run (its
controls keep their state in that process). A stop a hook asks for stops the run; a
hook worker that is lost loses the run's controls: the later hooks are not called, the
run goes on, the journal's reasons say so."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

from squall.temporal.flow.failures import heartbeat_of
from squall.temporal.flow.state import FlowState

with workflow.unsafe.imports_passed_through():
    from squall.engine.machine import Halted
    from squall.journal.store import format_journal
    from squall.temporal.activities import HOOK
    from squall.temporal.runhooks import HookInput, HookResult

__all__ = ["HOOK_HOURS", "HookSteps"]

#: hours an experiment-level hook may run (a backstop: its worker heartbeats)
HOOK_HOURS = 1


class HookSteps(FlowState):
    """``Hook`` steps."""

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
            who = heartbeat_of(cause)
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
