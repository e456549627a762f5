"""A parallel group as the workflow performs it: its activities as concurrent Temporal
activities; ``first-failure`` cancels the others at the first failure; the group's own
outcome (``squall.groups``) recorded as a local run records it."""

from __future__ import annotations

import asyncio

from temporalio import workflow

from squall.temporal.flow.activity import ActivitySteps

with workflow.unsafe.imports_passed_through():
    from squall.experiment.groups import ParallelGroup
    from squall.experiment.model import Activity
    from squall.journal.model import ActivityRun, GroupRun, RunStatus
    from squall.journal.recorder import Phase, put_group

__all__ = ["GroupSteps"]


class GroupSteps(ActivitySteps):
    """``Group`` steps."""

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
        self._summarise(summary, activities, indexes, cancelled)
        summary.end = workflow.now().isoformat()
        summary.duration = (workflow.now() - started).total_seconds()
        put_group(self._journal.groups, summary)

    def _summarise(
        self,
        summary: GroupRun,
        activities: tuple[Activity, ...],
        indexes: list[int],
        cancelled: set[int],
    ) -> None:
        """The group's failed and cancelled members, and its status."""
        phase = summary.phase
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

    def _journal_entry(self, phase: str, index: int) -> ActivityRun | None:
        entries = self._journal.rollbacks if phase == Phase.ROLLBACKS else self._journal.run
        return entries[index]

    def _entry(self, phase: str, index: int) -> bool:
        """Whether the entry at ``index`` failed."""
        run = self._journal_entry(phase, index)
        return run is not None and run.status is RunStatus.FAILED
