"""Two ends of a run that need a worker unlike the one squall ships, made with a real
``squall worker`` subprocess whose code is changed at start-up (a ``sitecustomize``
module on its ``PYTHONPATH``, which the test writes; the change is named in each test):

- a play that runs past its start-to-close time limit while its worker heartbeats (a
  backstop cut to 4 s stands for a limit the play outgrew): the worker stops it at once
  and says so, and the run records the method activity as failed; the play does not
  run on (session 9 tested this with an in-process worker only, test_cancel_flags);
- a worker of "another squall version" (its workflow code sleeps no durable pause, so
  it cannot replay a run that did): it fails the run's workflow task for
  non-determinism, and the command line following the run says so, with the hint about
  versions, then ends with exit 3 (session 9 tested only a worker without the run's
  payload key, test_refused_tasks).

Real dev server, real ``squall worker`` subprocesses."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sqengine import Bed, ended
from sqmarks import held, lines, marked, queue_name, wait_for_lines, write_experiment
from sqworker import SquallWorker

pytestmark = pytest.mark.slow

#: seconds a refused run is waited for (its schedule_to_start)
WAIT = 10


def _patched_worker(bed: Bed, queue: str, where: Path, change: str) -> SquallWorker:
    """A ``squall worker`` of ``queue`` whose code ``change`` (Python run at its start-up)
    alters."""
    where.mkdir()
    (where / "sitecustomize.py").write_text(change)
    path = os.pathsep.join([str(where), bed.env()["PYTHONPATH"]])
    return bed.worker(queue, PYTHONPATH=path)


def test_a_play_past_its_time_limit_is_stopped_on_a_squall_worker(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "overrun.json", [held(marks, "long")], squall={"task_queue": queue}
    )
    worker = _patched_worker(bed, queue, tmp_path / "patch", (
        "import squall.temporal.flow.activity as flow\n"
        "flow.backstop = lambda activity: 4.0  # the play's start-to-close\n"
    ))  # fmt: skip
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--task-queue", queue, "--journal-path", str(journal))
    try:
        stderr = ended(cli, 120)
    finally:
        (marks / "release").touch()
    time.sleep(1)  # a play left running would write long.done now
    log = worker.log()
    assert cli.returncode == 3, stderr
    assert "a step it ran past its time limit (4 s): Temporal gave it up: stopped" in log, log
    assert "Traceback" not in log and "Traceback" not in stderr, log + stderr
    (entry,) = json.loads(journal.read_text())["run"]
    assert entry["status"] == "failed", entry
    assert 'activity "long" ran past its time limit on the worker' in entry["exception"][0]
    assert len(lines(marks / "long")) == 1 and lines(marks / "long.done") == []


def test_a_worker_of_another_version_refusing_the_run_is_said_with_the_hint(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "other-version.json",
        # the workflow sleeps the pause (a timer); the other version's does not
        [{**marked(marks, "first"), "pauses": {"after": 6}}, marked(marks, "second")],
        squall={"task_queue": queue, "schedule_to_start": WAIT},
    )
    first = bed.worker(queue)
    cli = bed.popen(tmp_path, "run", "--engine", "temporal", str(experiment))
    run_id = ""
    try:
        wait_for_lines(marks / "first.done", timeout=120)
        run_id = bed.running(queue)
        first.stop()  # during the pause: it runs no step
        other = _patched_worker(bed, queue, tmp_path / "patch", (
            "import squall.temporal.flow.activity as flow\n"
            "flow.durable_pauses = lambda *args, **kwargs: None  # pauses on the worker\n"
        ))  # fmt: skip
        stderr = ended(cli, 120)
    finally:
        if run_id:
            bed.server.cli("workflow", "terminate", "--workflow-id", run_id, "--reason", "test")
    assert cli.returncode == 3, stderr
    assert f"the worker {other.pid}@" in stderr and "refused to go on with the run" in stderr
    assert "a worker of another squall version than the one that began the run" in stderr
    assert f"no worker went on with it within {WAIT} s" in stderr, stderr
    assert f"`squall runs attach {run_id}` follows it then" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert lines(marks / "second") == []
