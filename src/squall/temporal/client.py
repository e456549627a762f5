"""The command line's side of a Temporal run: start the workflow, follow its progress
(the same lines as a local run: the workflow's ``progress`` query, polled), get its
journal, stop it, or attach to it later."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from squall.errors import InputError, SquallError
from squall.show import show_value
from squall.temporal.inputs import RunInput
from squall.temporal.names import WORKFLOW_NAME
from squall.temporal.refused import RefusedWatch
from squall.temporal.steps import run_from
from squall.temporal.unstarted import StartWatch

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from squall.engine.context import Listener

__all__ = [
    "POLL",
    "RunGone",
    "ServerLost",
    "follow",
    "out_of_reach",
    "reconnect_patience",
    "run_input_of",
    "start",
    "stop",
]

#: seconds between two progress queries
POLL = 0.2
#: seconds a progress query may wait for a worker to answer
QUERY_TIMEOUT = timedelta(seconds=2)
#: seconds a command line following a run waits for a lost server (default)
RECONNECT = 300.0
ENV_RECONNECT = "SQUALL_TEMPORAL_RECONNECT"
#: what a call gets when the server is out of reach (down, restarting, cut off)
_OUT_OF_REACH = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)
#: what a call in flight gets when the server dies under it (the connection is cut:
#: UNKNOWN, message "transport error"), not an answer of the server
_CUT_OFF = "transport error"


class RunGone(InputError):
    """No Temporal run of that id (exit 2)."""


async def start(client: Client, run: RunInput) -> WorkflowHandle[Any, Any]:
    """Start the run's workflow (id = run id) on the run's task queue."""
    return await client.start_workflow(
        WORKFLOW_NAME,
        run,
        id=run.run_id,
        task_queue=run.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
    )


def handle_of(client: Client, run_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(run_id)


async def stop(client: Client, run_id: str, reason: str, received: str = "") -> None:
    """Send the ``stop`` signal to the run; ``received``: the signal the command line
    received (the run stops as a local run stops on it), "" for ``squall stop``.

    Raises:
        RunGone: no such run, or it has ended already.
    """
    args = [reason, received] if received else [reason]
    try:
        await handle_of(client, run_id).signal("stop", args=args)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise RunGone(f"no running Temporal run {show_value(run_id)} ({exc.message})") from None
        raise


async def run_input_of(client: Client, run_id: str) -> RunInput:
    """The input a run was started with (read back from its history).

    Raises:
        RunGone: no such run.
    """
    handle = handle_of(client, run_id)
    try:
        async for event in handle.fetch_history_events():
            attributes = event.workflow_execution_started_event_attributes
            payloads = list(attributes.input.payloads)
            (run,) = await client.data_converter.decode(payloads, [RunInput])
            return cast(RunInput, run)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise RunGone(f"no Temporal run {show_value(run_id)} ({exc.message})") from None
        raise
    raise RunGone(f"no Temporal run {show_value(run_id)}")


class _Shown:
    """What a progress line needs of an activity (its definition, masked)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.name = str(raw.get("name", ""))


class _Progress:
    """Feeds a run's progress events to a listener (the console)."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.shown: dict[tuple[str, str], Mapping[str, Any]] = {}

    def show(self, event: Mapping[str, Any]) -> None:
        listener, kind = self.listener, event.get("kind")
        if kind == "start":
            listener.run_started(str(event.get("title", "")), str(event.get("run_id", "")))
        elif kind == "phase":
            listener.phase(str(event.get("text", "")))
        elif kind == "warning":
            listener.warning(str(event.get("text", "")))
        elif kind == "started":
            raw = event.get("activity") or {}
            self.shown[(str(event.get("phase")), str(raw.get("name", "")))] = raw
            listener.activity_started(cast(Any, _Shown(raw)), str(event.get("phase")))
        elif kind == "pausing":
            raw = self.shown.get((str(event.get("phase")), str(event["activity"].get("name"))))
            where, seconds = str(event.get("where")), float(event.get("seconds") or 0)
            listener.pausing(cast(Any, _Shown(raw or event["activity"])), where, seconds)
        elif kind == "finished":
            run = run_from(event.get("entry") or {})
            raw = self.shown.pop((str(event.get("phase")), run.name), None)
            if raw is not None:
                run.activity = raw  # the live display knows it by this mapping
            listener.activity_finished(run, str(event.get("phase")))


async def _query(
    handle: WorkflowHandle[Any, Any], since: int, contact: _Contact | None = None
) -> dict[str, Any] | None:
    """The progress events from ``since``; None when no worker answers now, or the
    worker cannot (said once through ``contact``)."""
    try:
        answer = await handle.query("progress", since, rpc_timeout=QUERY_TIMEOUT)
    except RPCError:
        return None
    except WorkflowQueryFailedError as exc:
        if contact is not None:
            contact.unreadable(exc)
        return None
    return cast(dict[str, Any], answer)


class ServerLost(SquallError):
    """The command line lost the Temporal server for longer than it waits (exit 3); the
    run goes on there once the server is back."""

    exit_code = 3


def reconnect_patience(environ: Mapping[str, str]) -> float:
    """Seconds a command line following a run waits for a lost server to come back
    (``SQUALL_TEMPORAL_RECONNECT``, default :data:`RECONNECT`).

    Raises:
        InputError: not a number of seconds >= 0.
    """
    text = environ.get(ENV_RECONNECT, "")
    if not text:
        return RECONNECT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise InputError(
            f"${ENV_RECONNECT}: {show_value(text)} is not a number of seconds (e.g. 300)"
        )
    return value


def _lost(result: asyncio.Future[Any]) -> RPCError | None:
    """The error of a result wait that failed because the server is out of reach."""
    error = None if result.cancelled() else result.exception()
    return error if isinstance(error, RPCError) and out_of_reach(error) else None


def out_of_reach(error: RPCError) -> bool:
    """Whether an RPC failed because the server is out of reach, not because it answered."""
    if error.status in _OUT_OF_REACH:
        return True
    return error.status == RPCStatusCode.UNKNOWN and _CUT_OFF in error.message.lower()


class _Contact:
    """Whether the server answers; says when it is lost and when it is back."""

    def __init__(self, listener: Listener, run_id: str, patience: float) -> None:
        self.listener = listener
        self.run_id = run_id
        self.patience = patience
        self.since: float | None = None
        self.query_failed = False

    def lost(self, error: RPCError) -> None:
        """A wait failed for lack of a server; ServerLost once it is away too long."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            self.listener.warning(
                f"lost the Temporal server ({error.status.name}: {error.message}); the run "
                f"goes on there: waiting up to {self.patience:g} s for it to answer again"
            )
        elif now - self.since > self.patience:
            raise ServerLost(
                f"lost the Temporal server for more than {self.patience:g} s while following "
                f"run {self.run_id} ({error.status.name}: {error.message}); the run goes on "
                f"there once it is back: `squall runs attach {self.run_id}` follows it then"
            )

    def unreadable(self, error: WorkflowQueryFailedError) -> None:
        """The worker failed the progress query (it cannot read this command's payloads:
        a payload key it lacks, mid-rotation): said once; the run's end still comes."""
        if self.query_failed:
            return
        self.query_failed = True
        self.listener.warning(
            f"the worker cannot answer this command's progress queries ({error}): a worker "
            "that lacks this command's first payload key cannot read them (a key being "
            "rotated: give every worker the new key list and restart them, see "
            "docs/scale-out.md); the run's progress is not shown, its end will be"
        )

    def answered(self) -> None:
        if self.since is not None:
            self.since = None
            self.listener.warning("the Temporal server answers again: following the run")


async def follow(
    handle: WorkflowHandle[Any, Any],
    listener: Listener,
    *,
    queue: str = "",
    wait: float = 60.0,
    end_unstarted: bool = True,
    patience: float = 300.0,
    converter: DataConverter | None = None,
) -> dict[str, Any]:
    """Show the run's progress until it ends; its result (``journal`` or ``error``). A
    run that no worker of ``queue`` has taken after ``wait`` seconds, or that a worker
    cannot read (a payload key it lacks), is terminated (nothing of it ran) and reported;
    with ``end_unstarted`` False (``runs attach``: the run was started to wait, maybe) it
    is only said, once, and followed on (:class:`squall.temporal.unstarted.StartWatch`;
    ``converter`` reads the workers' failures, the client's). A run its workers refuse
    to go on with is said, and, after ``wait`` seconds, ended here (not terminated:
    :mod:`squall.temporal.refused`). A server out of reach is waited for, ``patience``
    seconds at most.

    Raises:
        ServerLost: the server stayed out of reach longer than ``patience``.
    """
    progress = _Progress(listener)
    contact = _Contact(listener, handle.id, patience)
    since = 0
    watch = StartWatch(
        listener.warning,
        converter or DataConverter.default,
        queue=queue,
        wait=wait,
        end_unstarted=end_unstarted,
    )
    refused = RefusedWatch(
        listener.warning, converter or DataConverter.default, run_id=handle.id, wait=wait
    )
    result = asyncio.ensure_future(handle.result())
    try:
        while True:
            answer = await _query(handle, since, contact)
            if answer is not None:
                contact.answered()
                for event in answer["events"]:
                    progress.show(event)
                since = answer["next"]
                if answer.get("more"):  # a bounded answer: the rest at once
                    continue
            if result.done():
                error = _lost(result)
                if error is None:
                    break
                contact.lost(error)
                result = asyncio.ensure_future(handle.result())
            ended = await watch.look(handle) if not since else None
            if ended is None and (since or watch.started):  # its workers refuse it?
                ended = await refused.look(handle)
            if ended is not None:
                return ended
            await asyncio.wait({result}, timeout=POLL)
        while answer is None or not answer["done"]:  # events after the last poll
            answer = await _query(handle, since)
            if answer is None or not answer["events"]:
                break
            for event in answer["events"]:
                progress.show(event)
            since = answer["next"]
        return cast(dict[str, Any], result.result())
    except WorkflowFailureError as exc:
        return {"error": f"the workflow failed: {exc.cause or exc}", "exit_code": 3}
    finally:
        # its end is not wanted any more (a run ended here, e.g. terminated for lack of
        # a worker): retrieve it whenever it comes, so asyncio prints no traceback
        result.add_done_callback(_ignore)
        if not result.done():
            result.cancel()


def _ignore(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
