"""The Temporal server dies (SIGKILL) in the middle of a run and comes back (same port,
same SQLite file): the run goes on from what the server had persisted, its method
activity ends, its rollback is played exactly once, and neither the command line
following the run nor the worker crashes: they reconnect on their own. A server that
stays away longer than the command line waits for it ends the command line with a
one-line message and exit 3, and ``squall runs attach`` gets the run once the server is
back.

These tests start a dev server of their own (the session's server is shared by every
other test of the process: killing it would break them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqmarks import held, lines, marked, wait_for_lines, write_experiment
from sqworker import SquallWorker, squall_cli
from temporal import TemporalServer, temporal_binary_or_skip

QUEUE = "restart"
#: seconds the server stays dead: long enough for every poll and heartbeat to fail
OUTAGE = 3.0
#: the heartbeat timeout of a run whose play the restarted server gives up (short: soon)
GIVEN_UP_HEARTBEAT = 4


@pytest.fixture
def own_server() -> Iterator[TemporalServer]:
    server = TemporalServer(temporal_binary_or_skip())
    try:
        yield server
    finally:
        server.stop()


def _env(server: TemporalServer, **extra: str) -> dict[str, str]:
    from sqharness import subprocess_env

    return subprocess_env(
        SQUALL_TEMPORAL_ADDRESS=server.address, SQUALL_TEMPORAL_TASK_QUEUE=QUEUE, **extra
    )


def _follow(
    server: TemporalServer, tmp_path: Path, experiment: Path, *first: str, **extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*squall_cli(), *first, "run", "--engine", "temporal", "--journal-path",
         str(tmp_path / "journal.json"), str(experiment)],
        env=_env(server, **extra), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip


def _experiment(tmp_path: Path, marks: Path) -> Path:
    return write_experiment(
        tmp_path / "restart.json", [held(marks, "long")], [marked(marks, "undo")]
    )


@pytest.mark.slow
def test_the_run_survives_a_server_crash_mid_method_and_plays_its_rollback_once(
    own_server: TemporalServer, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    worker = SquallWorker(own_server.address, QUEUE, tmp_path / "worker.log", cwd=tmp_path)
    cli = _follow(own_server, tmp_path, _experiment(tmp_path, marks), "--log-format", "json")
    try:
        wait_for_lines(marks / "long")
        own_server.kill()
        time.sleep(OUTAGE)  # the outage itself is what is under test
        own_server.start_again()
        (marks / "release").touch()
        _, stderr = cli.communicate(timeout=180)
        assert worker.alive(), worker.log()
        log = worker.log()
    finally:
        if cli.poll() is None:
            cli.kill()
        worker.stop()
    assert cli.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert "Traceback" not in log, log
    # --log-format json holds through the outage: Temporal's own lines ("... retried 5
    # times") come as squall's log records, not as the core's coloured text on stderr
    records = [json.loads(line) for line in stderr.splitlines()]  # each line is JSON
    assert all(isinstance(r, dict) for r in records)
    assert "\x1b[" not in stderr and "\x1b[" not in log, log
    document = json.loads((tmp_path / "journal.json").read_text())
    assert [e["status"] for e in document["run"]] == ["succeeded"]
    assert [e["status"] for e in document["rollbacks"]] == ["succeeded"]
    assert len(lines(marks / "long")) == 1 and len(lines(marks / "long.done")) == 1
    assert len(lines(marks / "undo")) == 1 and len(lines(marks / "undo.done")) == 1


@pytest.mark.slow
def test_a_command_line_that_waited_long_enough_ends_clearly_and_attach_gets_the_run_later(
    own_server: TemporalServer, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    worker = SquallWorker(own_server.address, QUEUE, tmp_path / "worker.log", cwd=tmp_path)
    cli = _follow(own_server, tmp_path, _experiment(tmp_path, marks), SQUALL_TEMPORAL_RECONNECT="1")
    try:
        wait_for_lines(marks / "long")
        own_server.kill()
        _, stderr = cli.communicate(timeout=180)  # it gives up while the server is away
        assert cli.returncode == 3, stderr
        own_server.start_again()
        (marks / "release").touch()
        journal = tmp_path / "attached.json"
        attached = subprocess.run(
            [*squall_cli(), "runs", "attach", _run_id(stderr), "--journal-path", str(journal)],
            env=_env(own_server), cwd=tmp_path, capture_output=True, text=True, timeout=180,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert worker.alive(), worker.log()
        log = worker.log()
    finally:
        if cli.poll() is None:
            cli.kill()
        worker.stop()
    assert "lost the Temporal server" in stderr and "Traceback" not in stderr, stderr
    assert "squall runs attach" in stderr
    assert "Traceback" not in log, log
    document = json.loads(journal.read_text())
    (entry,) = document["run"]
    # the server was away longer than the heartbeat timeout: once back, it may count
    # the method activity's worker as lost (failed, never run again: the conservative
    # reading, docs/scale-out.md) or take its late completion; either way it is said
    if entry["status"] == "failed":
        assert entry["exception"][0].startswith("worker lost"), entry
        assert attached.returncode == 3, attached.stderr
    else:
        assert entry["status"] == "succeeded", entry
        assert attached.returncode == 0, attached.stderr
    assert [e["status"] for e in document["rollbacks"]] == ["succeeded"]
    assert len(lines(marks / "long")) == 1
    assert len(lines(marks / "undo")) == 1 and len(lines(marks / "undo.done")) == 1


def _run_id(stderr: str) -> str:
    import re

    found = re.search(r"squall runs attach (\S+)`", stderr)
    assert found, stderr
    return found.group(1)


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_a_bad_reconnect_time_is_bad_input_before_connecting(tmp_path: Path, value: str) -> None:
    from sqharness import subprocess_env

    experiment = write_experiment(tmp_path / "e.json", [marked(tmp_path, "never")])
    done = subprocess.run(
        [*squall_cli(), "run", "--engine", "temporal", str(experiment)],
        env=subprocess_env(SQUALL_TEMPORAL_ADDRESS="127.0.0.1:9", SQUALL_TEMPORAL_RECONNECT=value),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert (
        f"$SQUALL_TEMPORAL_RECONNECT: {json.dumps(value)} is not a number of seconds" in done.stderr
    )


def test_a_call_cut_off_by_the_dying_server_is_an_outage_not_an_answer() -> None:
    """A call in flight when the server is killed gets UNKNOWN "transport error" (seen in
    the test above at load 20: the command line said 'the server answered UNKNOWN' and
    exited 3 at once instead of waiting for the server to come back)."""
    from temporalio.service import RPCError, RPCStatusCode

    from squall.temporal.client import out_of_reach

    assert out_of_reach(RPCError("transport error", RPCStatusCode.UNKNOWN, b""))
    assert out_of_reach(RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""))
    assert not out_of_reach(RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b""))
    assert not out_of_reach(RPCError("a bug of the server", RPCStatusCode.UNKNOWN, b""))


def _timed_out(server: TemporalServer, run_id: str) -> bool:
    """Whether the server has timed out a play of the run (an event in its history)."""
    shown = server.cli("workflow", "show", "--workflow-id", run_id, "--output", "json")
    return shown.returncode == 0 and "TIMED_OUT" in shown.stdout.upper().replace(
        "TIMEDOUT", "TIMED_OUT"
    )


def _workflow_id(server: TemporalServer) -> str:
    deadline = time.monotonic() + 60
    while True:
        listed = server.cli("workflow", "list", "--output", "json")
        found = json.loads(listed.stdout or "[]") if listed.returncode == 0 else []
        if found:
            return str(found[0]["execution"]["workflowId"])
        assert time.monotonic() < deadline, listed.stderr
        time.sleep(0.2)


@pytest.mark.slow
def test_a_play_given_up_across_a_server_restart_is_resumed_without_a_traceback(
    own_server: TemporalServer, tmp_path: Path
) -> None:
    """A server outage longer than the run's heartbeat timeout, while a method activity
    plays: the restarted server gives the play up (its heartbeat timed out) while its worker
    is alive and the play goes on. The worker is frozen (SIGSTOP) across the outage until
    the restarted server has timed the play out, so that the server gives it up before any
    heartbeat of the worker reaches it.

    The workflow asks that worker for the play's result (flow.resume): the activity counts
    as played once and the run ends as it would have. Found: the worker logged temporalio's
    "Completing activity as failed" with a traceback of the cancelled activity each time
    Temporal gave a play up (here, and in the long outage test above, at load).

    The other half of the outage case, a timeout that came without the last heartbeat's
    details (scripts/temporal_outage.py, session 9: 1 or 2 runs of 3 failed "worker lost"
    after a 15 to 60 s outage), could not be made to happen on purpose here; the worker's
    ``squall.held`` signal covers it (see flow.resume)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "outage.json", [held(marks, "long")], [marked(marks, "undo")],
        squall={"heartbeat": GIVEN_UP_HEARTBEAT},
    )  # fmt: skip
    worker = SquallWorker(own_server.address, QUEUE, tmp_path / "worker.log", cwd=tmp_path)
    cli = _follow(own_server, tmp_path, experiment)
    try:
        wait_for_lines(marks / "long", timeout=120)
        run_id = _workflow_id(own_server)
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            own_server.kill()
            own_server.start_again()
            deadline = time.monotonic() + 120
            while not _timed_out(own_server, run_id):
                assert time.monotonic() < deadline, "the restarted server gave nothing up"
                time.sleep(0.2)
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        (marks / "release").touch()
        _, stderr = cli.communicate(timeout=240)
        log = worker.log()
    finally:
        if cli.poll() is None:
            cli.kill()
        worker.stop()
    assert cli.returncode == 0, stderr + log
    assert "not played twice" in stderr and "Traceback" not in stderr, stderr
    assert "Traceback" not in log and "Completing activity as failed" not in log, log
    document = json.loads((tmp_path / "journal.json").read_text())
    assert [e["status"] for e in document["run"]] == ["succeeded"], document["run"]
    assert len(lines(marks / "long")) == 1 and len(lines(marks / "long.done")) == 1
    assert len(lines(marks / "undo")) == 1 and len(lines(marks / "undo.done")) == 1
