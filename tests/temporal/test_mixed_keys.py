"""A fleet whose workers do not all have the run's payload key: a step offered to a
worker that cannot read it is refused there, and the run says so at once, naming the
worker (exit 2, a configuration error, as a worker refusing the whole run is:
tests/temporal/test_worker_key.py), instead of hanging or being taken for a broken run.

- the run's start (``squall.start``) taken by a worker without the key, while the
  run's workflow is on one with it: exit 2 within seconds, nothing ran;
- a method activity routed to a queue whose worker has no key, or another key: the run
  is stopped there (nothing more of the method starts), its rollbacks are played (on a
  worker with the key), the journal says why, and the command exits 2. With another key
  the worker's failure is itself encrypted with a key the run's workflow lacks: it hung
  the run (Temporal retried the workflow task for ever).

- a rollback routed to a queue whose only worker cannot read it: the rollback is owed,
  so it waits for a worker that can, and the run says so at once, naming that worker
  and the queue (it waited silently before); a worker with the key started then plays
  it, once, and the journal's reasons keep what happened.

Real dev server, real ``squall worker`` subprocesses."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import held, lines, marked, queue_name, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER = base64.b64encode(bytes(range(50, 82))).decode()
#: seconds the command line may take to say so (schedule_to_start is 60 s)
PROMPT = 45.0


def _routed(activity: dict[str, Any], queue: str) -> dict[str, Any]:
    return {**activity, "squall": {"task_queue": queue}}


@pytest.mark.parametrize(
    "bad_env",
    [pytest.param({}, id="no-key"), pytest.param({"SQUALL_TEMPORAL_KEY": OTHER}, id="other-key")],
)
def test_a_method_activity_on_a_worker_without_the_key_stops_the_run_with_exit_2(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest, bad_env: dict[str, str]
) -> None:
    queue = queue_name(request)
    locked = f"{queue}-locked"
    experiment = write_experiment(
        tmp_path / "mixed.json",
        [marked(tmp_path, "first"), _routed(marked(tmp_path, "act"), locked),
         marked(tmp_path, "never")],
        [marked(tmp_path, "undo")],
    )  # fmt: skip
    journal = tmp_path / "journal.json"
    bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY)
    bad = bed.worker(locked, **bad_env)
    began = time.monotonic()
    done = bed.squall(
        "run", "--engine", "temporal", "--task-queue", queue, str(experiment),
        "--journal-path", str(journal), SQUALL_TEMPORAL_KEY=KEY, timeout=PROMPT * 2,
    )  # fmt: skip
    took = time.monotonic() - began
    assert done.returncode == 2, done.stderr
    assert took < PROMPT, (took, done.stderr)
    assert f"the worker {bad.pid}@" in done.stderr and "cannot read the run" in done.stderr
    assert "Traceback" not in done.stderr
    assert lines(tmp_path / "act") == [] and lines(tmp_path / "never") == []
    assert len(lines(tmp_path / "undo.done")) == 1  # the rollback owed is played
    document = json.loads(journal.read_text())
    assert document["status"] == "interrupted"
    entries = {e["activity"]["name"]: e for e in document["run"]}
    assert entries["first"]["status"] == "succeeded"
    assert entries["act"]["status"] == "failed"
    assert f"the worker {bad.pid}@" in "".join(entries["act"]["exception"])
    assert "cannot read the run" in document["squall"]["reasons"][0]


def _waiting_rollback(bed: Bed, tmp_path: Path, queue: str, locked: str) -> Any:
    """A run (``--rollback-strategy always``) whose rollback ``undo`` is routed to
    ``locked``, whose worker cannot read the run: the command line (its output in
    tmp_path/cli.log, its journal tmp_path/journal.json), once it said the rollback
    waits."""
    experiment = write_experiment(
        tmp_path / "owed.json", [marked(tmp_path, "act")],
        [_routed(marked(tmp_path, "undo"), locked)],
    )  # fmt: skip
    output = tmp_path / "cli.log"
    bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY)
    cli = bed.popen(tmp_path, "run", "--engine", "temporal", "--task-queue", queue,
                    "--rollback-strategy", "always", "--journal-path",
                    str(tmp_path / "journal.json"), str(experiment), output=output,
                    SQUALL_TEMPORAL_KEY=KEY)  # fmt: skip
    said = f'rollback "undo" waits for a worker of task queue "{locked}" that can read'
    deadline = time.monotonic() + PROMPT
    while said not in output.read_text():
        if cli.poll() is not None or time.monotonic() > deadline:
            cli.kill()
            raise AssertionError(output.read_text())
        time.sleep(0.1)
    return cli


@pytest.mark.parametrize(
    "bad_env",
    [pytest.param({}, id="no-key"), pytest.param({"SQUALL_TEMPORAL_KEY": OTHER}, id="other-key")],
)
def test_a_rollback_no_worker_can_read_says_so_and_waits_for_one_that_can(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest, bad_env: dict[str, str]
) -> None:
    queue = queue_name(request)
    locked = f"{queue}-locked"
    journal, output = tmp_path / "journal.json", tmp_path / "cli.log"
    bad = bed.worker(locked, **bad_env)
    cli = _waiting_rollback(bed, tmp_path, queue, locked)
    try:
        said = f'rollback "undo" waits for a worker of task queue "{locked}" that can read'
        assert f"the worker {bad.pid}@" in output.read_text()
        assert lines(tmp_path / "undo") == []  # owed, not given up, not played
        good = bed.worker(locked, SQUALL_TEMPORAL_KEY=KEY)
        bad.stop()  # as a user fixes it: the worker restarted with the key
        cli.wait(timeout=180)
    finally:
        if cli.poll() is None:
            cli.kill()
    text = output.read_text()
    assert cli.returncode == 0, text
    assert "Traceback" not in text
    assert lines(tmp_path / "undo.done") == [str(good.pid)]  # played once, by the keyed one
    document = json.loads(journal.read_text())
    assert document["status"] == "completed"
    (undo,) = document["rollbacks"]
    assert undo["status"] == "succeeded" and "replayed" not in undo["squall"]
    assert undo["squall"]["worker"].startswith(f"{good.pid}@"), undo  # where it ran
    assert any(said in r and "cannot read the run" in r for r in document["squall"]["reasons"])


def test_the_start_taken_by_a_worker_without_the_key_is_exit_2(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The keyed worker's only activity slot is taken by another run's held action, so
    the start of the run followed here can only go to the keyless worker started then;
    the run's workflow stays on the keyed worker."""
    queue = queue_name(request)
    bed.worker(queue, "--max-concurrent", "1", SQUALL_TEMPORAL_KEY=KEY)
    busy = write_experiment(tmp_path / "busy.json", [held(tmp_path, "hold")])
    started = bed.squall("run", "--engine", "temporal", "--task-queue", queue, "--detach",
                         str(busy), SQUALL_TEMPORAL_KEY=KEY)  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        wait_for_lines(tmp_path / "hold", timeout=120)
        experiment = write_experiment(tmp_path / "start.json", [marked(tmp_path, "act")])
        follow = bed.popen(tmp_path, "run", "--engine", "temporal", "--task-queue", queue,
                           str(experiment), SQUALL_TEMPORAL_KEY=KEY)  # fmt: skip
        run_id = _scheduled_start(bed, queue, exclude=started.stdout.split()[-1])
        keyless = bed.worker(queue)
        began = time.monotonic()
        _, stderr = follow.communicate(timeout=PROMPT * 2)
        took = time.monotonic() - began
    finally:
        (tmp_path / "release").touch()
    assert follow.returncode == 2, stderr
    assert took < PROMPT, (took, stderr)
    assert f"the worker {keyless.pid}@" in stderr and "cannot read the run" in stderr, stderr
    assert "nothing ran" in stderr and "Traceback" not in stderr
    assert lines(tmp_path / "act") == []
    assert run_id


def _scheduled_start(bed: Bed, queue: str, exclude: str) -> str:
    """The run on ``queue`` (not ``exclude``) once its start activity is scheduled."""
    deadline = time.monotonic() + 120
    query = f"TaskQueue='{queue}' AND ExecutionStatus='Running'"
    while True:
        found = bed.server.cli("workflow", "list", "--query", query, "--output", "json")
        ids = [w["execution"]["workflowId"] for w in json.loads(found.stdout or "[]")]
        for run_id in ids:
            if run_id != exclude and _start_scheduled(bed.history(run_id)):
                return str(run_id)
        assert time.monotonic() < deadline, found.stdout
        time.sleep(0.2)


def _start_scheduled(events: list[dict[str, Any]]) -> bool:
    """Whether a worker ran the run's first workflow task and it scheduled the start."""
    for event in events:
        attributes = event.get("activityTaskScheduledEventAttributes") or {}
        if (attributes.get("activityType") or {}).get("name") == "squall.start":
            return True
    return False


def test_squall_stop_ends_a_rollbacks_wait_and_says_it_was_not_played(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The rollback waits for a worker that can read the run (above); the user gives up
    on it with ``squall stop``: the wait ends at once, the rollback is recorded as
    failed, NOT played, loudly (a warning, the journal's reasons), and the run ends
    interrupted (exit 130). Found: ``squall stop`` changed nothing, the run waited on."""
    queue = queue_name(request)
    locked = f"{queue}-locked"
    journal, output = tmp_path / "journal.json", tmp_path / "cli.log"
    bed.worker(locked)
    cli = _waiting_rollback(bed, tmp_path, queue, locked)
    try:
        stopped = bed.squall("stop", bed.running(queue), "--reason", "giving up on it")
        assert stopped.returncode == 0, stopped.stderr
        cli.wait(timeout=PROMPT)
    finally:
        if cli.poll() is None:
            cli.kill()
    text = output.read_text()
    assert cli.returncode == 130, text
    assert "those waiting for a worker are given up: NOT played" in text, text
    gave_up = 'rollback "undo" NOT played: giving up on it, while it waited for a worker'
    assert gave_up in text and "Traceback" not in text, text
    assert lines(tmp_path / "undo") == []
    document = json.loads(journal.read_text())
    assert document["status"] == "interrupted"
    (undo,) = document["rollbacks"]
    assert undo["status"] == "failed" and undo["exception"][0].startswith("NOT played"), undo
    assert any(gave_up in r for r in document["squall"]["reasons"]), document["squall"]
