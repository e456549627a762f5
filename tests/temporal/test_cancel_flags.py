"""What temporalio tells a running activity when Temporal gives it up, and how squall's
worker reads it (``squall.temporal.playends.given_up``), on a real dev server with a
real temporalio worker in this process: a play silent past its heartbeat timeout (a
starved worker: the workflow will ask it for its result) and a play that heartbeats but
runs past its start-to-close (its time limit: nobody will ask, it must stop at once)
both get ``not_found`` (a heartbeat's answer); only the time the play has run tells
them apart. Found: both were read as a starved worker's, so a play past its time limit
went on for ``heartbeat + schedule_to_start + 30 s`` (100 s by default) before its
worker stopped it, while the run had moved on (a rollback played again elsewhere)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, TimeoutError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from squall.temporal.playends import given_up

from temporal import TemporalServer

pytestmark = pytest.mark.slow

#: what each play saw when it was cancelled: (not_found, timed_out, squall's reading)
SEEN: dict[str, tuple[bool, bool, str]] = {}
#: the timeouts of each case: (start-to-close, heartbeat)
TIMEOUTS = {"silent": (60.0, 1.0), "overran": (2.0, 30.0)}


@activity.defn(name="flags-play")
async def play(kind: str) -> None:
    started = time.monotonic()
    try:
        if kind == "silent":  # a starved worker: its event loop does not run
            time.sleep(4)  # on purpose
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.2)
    except asyncio.CancelledError:
        details = activity.cancellation_details()
        assert details is not None
        SEEN[kind] = (details.not_found, details.timed_out, given_up(started))
        raise


@workflow.defn(name="flags-run", sandboxed=False)
class FlagsRun:
    @workflow.run
    async def run(self, kind: str) -> str:
        close, beat = TIMEOUTS[kind]
        try:
            await workflow.execute_activity(
                "flags-play",
                kind,
                start_to_close_timeout=timedelta(seconds=close),
                heartbeat_timeout=timedelta(seconds=beat),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError as exc:
            cause = exc.cause
            return cause.type.name if isinstance(cause, TimeoutError) else str(cause)
        return "ended"


async def _played(server: TemporalServer, kind: str) -> tuple[str, tuple[bool, bool, str]]:
    client = await Client.connect(server.address, namespace=server.namespace)
    queue = f"flags-{uuid.uuid4().hex[:8]}"
    worker = Worker(client, task_queue=queue, workflows=[FlagsRun], activities=[play],
                    workflow_runner=UnsandboxedWorkflowRunner())  # fmt: skip
    async with worker:
        timed_out: Any = await client.execute_workflow(
            "flags-run", kind, id=f"flags-{kind}-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        deadline = time.monotonic() + 30
        while kind not in SEEN:  # the play's cancellation comes with its next heartbeat
            assert time.monotonic() < deadline, "the play was never cancelled"
            await asyncio.sleep(0.1)
    return str(timed_out), SEEN[kind]


def test_a_silent_play_is_read_as_given_up_for_its_silence(
    temporal_server: TemporalServer,
) -> None:
    timed_out, (not_found, _, reading) = asyncio.run(_played(temporal_server, "silent"))
    assert timed_out.endswith("HEARTBEAT"), timed_out
    assert not_found and reading == "silent"


def test_a_play_past_its_time_limit_is_read_as_overrun_not_as_silent(
    temporal_server: TemporalServer,
) -> None:
    timed_out, (not_found, timed_out_flag, reading) = asyncio.run(
        _played(temporal_server, "overran")
    )
    assert timed_out.endswith("START_TO_CLOSE"), timed_out
    assert not_found and not timed_out_flag  # the heartbeat's answer, as a silent play's
    assert reading == "overran"
