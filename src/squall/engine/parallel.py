"""Run a parallel group: its activities start together, each in its own daemon thread.

``join: all`` waits for every one; ``join: first-failure`` stops waiting at the first
failure and cancels the others: a process activity is killed; python code cannot be
stopped, so it is abandoned (its entry says so; it may still be running). A signal or a
stop request cancels the group the same way, except SIGUSR1 ("exit gracefully"), which
waits for the group as it waits for background activities. Entries keep the declared
order; each says its group and its own start and end.
"""

from __future__ import annotations

import threading
import time

from squall.engine.activity import ActivityInterrupted, run_activity
from squall.engine.context import RunContext, now_iso
from squall.engine.rules import abandon_background
from squall.experiment.groups import ParallelGroup
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, GroupRun, RunStatus
from squall.masking import run_in_context
from squall.providers.base import cancellable

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

    from squall.engine.context import Listener

__all__ = ["run_group"]

#: How long cancelled activities get to end (a killed process ends at once) before the
#: ones still running are abandoned.
GRACE = 2.0


class _Member:
    __slots__ = ("activity", "index", "run", "start", "thread")

    def __init__(self, activity: Activity, index: int) -> None:
        self.activity = activity
        self.index = index
        self.start = ""
        self.run: ActivityRun | None = None  # set once (by its thread, or when abandoned)
        self.thread: threading.Thread | None = None


class _Group:
    def __init__(self, ctx: RunContext, group: ParallelGroup, phase: str) -> None:
        self.ctx = ctx
        self.group = group
        self.phase = phase
        self.cancel = threading.Event()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def settle(self, member: _Member, run: ActivityRun) -> None:
        """Record a member's entry unless it was already settled (abandoned)."""
        with self.lock:
            if member.run is not None:
                return
            run.squall = {**(run.squall or {}), "group": self.group.name}
            if self.cancel.is_set() and run.status is RunStatus.FAILED:
                run.squall["cancelled"] = True  # it failed because the group was cancelled
            member.run = run
            self.ctx.recorder.record(self.phase, run, member.index)
            if run.status is RunStatus.FAILED and self.group.join == "first-failure":
                self.cancel.set()
            self.changed.notify_all()

    def work(self, member: _Member) -> None:
        with cancellable(self.cancel):
            try:
                run = run_activity(self.ctx, member.activity, self.phase)
            except ActivityInterrupted as exc:
                run = exc.run
        self.settle(member, run)


class _Tagging:
    """The run's listener, which sees the group's entries already tagged with it (they
    are reported from inside ``run_activity``, before the group records them)."""

    def __init__(self, listener: Listener, name: str, raws: set[int]) -> None:
        self.listener = listener
        self.name = name
        self.raws = raws

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.listener, attribute)

    def activity_finished(self, run: ActivityRun, phase: str) -> None:
        if id(run.activity) in self.raws and not (run.squall or {}).get("group"):
            run.squall = {"group": self.name, **(run.squall or {})}
        self.listener.activity_finished(run, phase)


def run_group(
    ctx: RunContext, group: ParallelGroup, activities: tuple[Activity, ...], phase: str
) -> None:
    """Start the activities together and wait as ``group.join`` says."""
    listener = ctx.listener
    ctx.listener = _Tagging(listener, group.name, {id(a.raw) for a in activities})
    try:
        _run_group(ctx, group, activities, phase)
    finally:
        ctx.listener = listener


def _run_group(
    ctx: RunContext, group: ParallelGroup, activities: tuple[Activity, ...], phase: str
) -> None:
    state = _Group(ctx, group, phase)
    members = [_Member(a, ctx.recorder.reserve(phase, a.name)) for a in activities]
    summary = GroupRun(
        name=group.name,
        phase=phase,
        join=group.join,
        start=now_iso(),
        activities=[a.name for a in activities],
    )
    ctx.recorder.group(summary.replace())
    started = time.perf_counter()
    for member in members:
        member.start = now_iso()
        member.thread = threading.Thread(
            target=run_in_context(state.work),
            args=(member,),
            name=f"squall-group-{member.activity.name}",
        )
        member.thread.daemon = True
        member.thread.start()
    _wait(state, members)
    if state.cancel.is_set():
        _abandon(state, members)
    _outcome(state, members, summary)
    summary.end = now_iso()
    summary.duration = time.perf_counter() - started
    ctx.recorder.group(summary)


def _wait(state: _Group, members: list[_Member]) -> None:
    """Until all have ended, or (first-failure, or a stop) the group is cancelled."""
    with state.lock:
        while any(m.run is None for m in members):
            if abandon_background(state.ctx):  # a stop; SIGUSR1 (graceful) waits
                state.cancel.set()
            if state.cancel.is_set():
                return
            state.changed.wait(0.05)


def _abandon(state: _Group, members: list[_Member]) -> None:
    """Give cancelled activities a moment to end, then settle the rest as abandoned."""
    deadline = time.monotonic() + GRACE
    for member in members:
        thread = member.thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
    why = (
        "the run was stopped"
        if state.ctx.stop.is_set()
        else "another activity of the group failed (join: first-failure)"
    )
    for member in members:
        reason = (
            f"cancelled: {why}; it could not be stopped and was abandoned (it may still be running)"
        )
        state.settle(
            member,
            ActivityRun(
                activity=member.activity.raw,
                start=member.start,
                status=RunStatus.FAILED,
                end=now_iso(),
                exception=[f"{reason}\n"],
                reason=reason,
            ),
        )
        if member.run is not None and member.run.reason == reason:
            state.ctx.listener.activity_finished(member.run, state.phase)


def _outcome(state: _Group, members: list[_Member], summary: GroupRun) -> None:
    for member in members:
        run = member.run
        if run is not None and run.status is RunStatus.FAILED:
            cancelled = (run.squall or {}).get("cancelled")
            (summary.cancelled if cancelled else summary.failed).append(member.activity.name)
    if state.ctx.stop.is_set() and state.cancel.is_set():
        summary.status = "interrupted"
    elif summary.failed or summary.cancelled:
        summary.status = "failed"
    else:
        summary.status = "succeeded"
