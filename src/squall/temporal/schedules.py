"""Temporal Schedules that start squall runs: add, list, pause, delete.

A schedule's id is its name; its action starts :data:`~squall.temporal.names.WORKFLOW_NAME`
with the run input made when the schedule was added (the experiment as it was then), with
the workflow id ``NAME``: Temporal appends the fire time, so each fire is a new run whose
run id is ``NAME-<fire time, UTC, RFC 3339>`` (e.g. ``nightly-tls-2026-12-05T03:00:00Z``).

Policy: a fire that finds the previous run of the schedule still going is skipped (two
runs of one experiment do not overlap); a fire missed by more than :data:`CATCHUP` (the
server was down) is skipped, not run late.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError, RPCStatusCode

from squall.errors import InputError
from squall.show import counted, show_value
from squall.temporal.codec import PayloadKeyError
from squall.temporal.names import WORKFLOW_NAME
from squall.temporal.spec import say_every

__all__ = [
    "CATCHUP",
    "MEMO_KEY",
    "Timing",
    "add",
    "check_name",
    "delete",
    "describe_all",
    "has_workers",
    "pause",
]

CATCHUP = timedelta(minutes=5)
#: the memo squall leaves on its schedules (what ``schedule list`` shows)
MEMO_KEY = "squall"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class Timing:
    """When a schedule fires: every ``every`` seconds, or on a cron expression."""

    __slots__ = ("cron", "every", "timezone")

    def __init__(self, every: float | None, cron: str | None, timezone: str = "UTC") -> None:
        self.every = every
        self.cron = cron
        self.timezone = timezone

    def spec(self) -> ScheduleSpec:
        if self.every is not None:
            return ScheduleSpec(
                intervals=[ScheduleIntervalSpec(every=timedelta(seconds=self.every))]
            )
        assert self.cron is not None
        return ScheduleSpec(cron_expressions=[self.cron], time_zone_name=self.timezone)

    def describe(self) -> str:
        if self.every is not None:
            return f"every {say_every(self.every)}"
        return f"cron {self.cron} ({self.timezone})"


def check_name(name: str) -> str:
    """A schedule's name: letters, digits, ``.``, ``_``, ``-``; up to 100 characters.

    Raises:
        InputError: any other name.
    """
    if not _NAME.match(name):
        raise InputError(
            f'schedule name {show_value(name)}: use letters, digits, ".", "_" and "-" '
            "(starting with a letter or digit, up to 100 characters)"
        )
    return name


async def add(
    client: Client, name: str, run_input: Any, task_queue: str, timing: Timing, memo: dict[str, Any]
) -> None:
    """Create the schedule ``name`` (its first fire is the next one the timing gives).

    Raises:
        InputError: a schedule of that name exists, or the server refuses the spec.
    """
    action = ScheduleActionStartWorkflow(WORKFLOW_NAME, run_input, id=name, task_queue=task_queue)
    schedule = Schedule(
        action=action,
        spec=timing.spec(),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP),
        state=ScheduleState(note=f"added by squall: {timing.describe()}"),
    )
    try:
        await client.create_schedule(
            name, schedule, memo={MEMO_KEY: {**memo, "timing": timing.describe()}}
        )
    except ScheduleAlreadyRunningError:
        raise InputError(
            f"a schedule named {show_value(name)} exists already "
            f"(squall schedule delete {name} first)"
        ) from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            refused = f"schedule {show_value(name)}: Temporal refused it: {exc.message}"
            raise InputError(refused) from None
        raise


async def has_workers(client: Client, task_queue: str) -> bool:
    """Whether a worker polled ``task_queue`` for workflows lately (Temporal remembers
    pollers for a few minutes)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return bool(answer.pollers)


async def pause(client: Client, name: str, paused: bool) -> None:
    """Pause (or unpause) the schedule ``name``.

    Raises:
        InputError: no such schedule.
    """
    handle = client.get_schedule_handle(name)
    try:
        if paused:
            await handle.pause(note="paused by squall schedule pause")
        else:
            await handle.unpause(note="unpaused by squall schedule pause --unpause")
    except RPCError as exc:
        raise _missing(name, exc) from None


async def delete(client: Client, name: str) -> None:
    """Delete the schedule ``name`` (runs it started go on).

    Raises:
        InputError: no such schedule.
    """
    try:
        await client.get_schedule_handle(name).delete()
    except RPCError as exc:
        raise _missing(name, exc) from None


async def describe_all(client: Client) -> list[dict[str, Any]]:
    """Every schedule of the namespace (squall's and others'), described from the schedule
    itself (the listing is only eventually consistent), sorted by name."""
    names = sorted([entry.id async for entry in await client.list_schedules()])
    found = []
    for name in names:
        try:
            described = await client.get_schedule_handle(name).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # deleted meanwhile
                continue
            raise
        found.append(await _summary(client, name, described))
    return found


async def _summary(client: Client, name: str, described: ScheduleDescription) -> dict[str, Any]:
    try:
        memo = await described.memo()
    except PayloadKeyError:  # encrypted with a key this machine does not have
        memo = {MEMO_KEY: {"experiment": "(encrypted with a key not configured here)"}}
    value = memo.get(MEMO_KEY)
    ours: dict[str, Any] = value if isinstance(value, dict) else {}
    info = described.info
    recent = [
        action.action
        for action in info.recent_actions
        if isinstance(action.action, ScheduleActionExecutionStartWorkflow)
    ]
    paused = described.schedule.state.paused
    action = described.schedule.action
    # another program's workflow: its result is not a squall run's (nor decodable here)
    ran_squall = getattr(action, "workflow", None) == WORKFLOW_NAME
    nexts = [] if paused else [_iso(t) for t in info.next_action_times[:1]]
    return {
        "name": name,
        "state": "paused" if paused else "active",
        "timing": ours.get("timing") or _timing_of(described),
        "experiment": ours.get("experiment", ""),
        "title": ours.get("title", ""),
        "task_queue": getattr(action, "task_queue", None) or "",
        "next_run": nexts[0] if nexts else None,
        "runs": info.num_actions,
        "last_run_id": recent[-1].workflow_id if recent else None,
        "last_outcome": await last_outcome(client, recent[-1]) if recent and ran_squall else None,
        "squall": bool(ours),
    }


async def last_outcome(client: Client, fired: ScheduleActionExecutionStartWorkflow) -> str:
    """How a fire's run went: ``running``, the journal's outcome (``held``, ``deviated``,
    ``broken``, ``not-run``, ``interrupted``), ``not valid (N problems)`` when its worker
    found what cannot run there (nothing ran; not in any run history), ``not started``,
    Temporal's own end (``failed``, ``terminated``...), or ``gone`` (past retention)."""
    handle = client.get_workflow_handle(fired.workflow_id, run_id=fired.first_execution_run_id)
    try:
        status = (await handle.describe()).status
        if status == WorkflowExecutionStatus.RUNNING:
            return "running"
        if status != WorkflowExecutionStatus.COMPLETED:
            return status.name.lower() if status else "unknown"
        result = await handle.result()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return "gone"
        raise
    except PayloadKeyError:
        return "(encrypted with a key not configured here)"
    return _outcome_of(result)


def _outcome_of(result: Any) -> str:
    if not isinstance(result, dict):
        return "unknown"
    if "problems" in result:
        count = len(result["problems"] or [])
        return f"not valid ({counted(count, 'problem')})"
    if "error" in result:
        return "not started"
    try:
        journal = json.loads(result.get("journal") or "{}")
    except ValueError:
        return "unknown"
    section = journal.get("squall") if isinstance(journal, dict) else None
    outcome = section.get("outcome") if isinstance(section, dict) else None
    return str(outcome) if outcome else "unknown"


def _timing_of(described: ScheduleDescription) -> str:
    spec = described.schedule.spec
    if spec.intervals:
        return f"every {say_every(spec.intervals[0].every.total_seconds())}"
    if spec.cron_expressions:
        return f"cron {spec.cron_expressions[0]}"
    return "calendar"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _missing(name: str, exc: RPCError) -> Exception:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return InputError(f"no schedule named {show_value(name)} (squall schedule list shows them)")
    return exc
