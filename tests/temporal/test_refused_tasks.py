"""A run its workers refuse to go on with (mid-run: its workflow task fails on every
worker that takes it; here the only worker left lacks the run's payload key, as a worker
of another squall version would fail it for non-determinism): the command line says so
at once, naming the worker and why, and, when no worker goes on with the run within
``schedule_to_start``, ends with exit 3 and how to follow the run later. The run is not
terminated: a worker that can go on with it (the key given back) plays the rest, and
``squall runs attach`` gets its end. Found: the command line showed "still running" for
ever and said nothing of the refusals (the worker's own log did).

Real dev server, real ``squall worker`` subprocesses."""

from __future__ import annotations

import base64
import signal
import time
from pathlib import Path

import pytest

from sqengine import Bed, ended
from sqmarks import lines, marked, queue_name, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow

KEY = base64.b64encode(bytes(range(32))).decode()
#: seconds a refused run is waited for (its schedule_to_start)
WAIT = 10


def test_a_run_its_workers_refuse_mid_run_is_said_and_followed_no_longer(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "refused.json",
        # the workflow sleeps the pause (a timer): its end is a workflow task to take
        [{**marked(marks, "first"), "pauses": {"after": 6}}, marked(marks, "second")],
        [marked(marks, "undo")],
        squall={"task_queue": queue, "schedule_to_start": WAIT},
    )
    keyed = bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY)
    cli = bed.popen(tmp_path, "run", "--engine", "temporal", "--rollback-strategy", "always",
                    str(experiment), SQUALL_TEMPORAL_KEY=KEY)  # fmt: skip
    wait_for_lines(marks / "first.done", timeout=120)
    run_id = bed.running(queue)
    keyed.process.send_signal(signal.SIGTERM)  # during the pause: it runs no step
    assert keyed.process.wait(timeout=30) == 0, keyed.log()
    keyless = bed.worker(queue)  # it cannot read the run: it refuses its next task
    began = time.monotonic()
    stderr = ended(cli, 120)
    took = time.monotonic() - began
    assert cli.returncode == 3, stderr
    assert f"the worker {keyless.pid}@" in stderr and "cannot read the run" in stderr, stderr
    assert "Temporal offers it again, to any worker of the queue" in stderr, stderr
    assert f"no worker went on with it within {WAIT} s" in stderr, stderr
    assert f"`squall runs attach {run_id}` follows it then" in stderr, stderr
    assert "Traceback" not in stderr and took < 6 + WAIT + 30, (took, stderr)
    assert lines(marks / "second") == []
    # not terminated: the worker restarted with the key goes on with it
    keyless.stop()
    bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY)
    attached = bed.squall("runs", "attach", run_id, SQUALL_TEMPORAL_KEY=KEY, timeout=120)
    assert attached.returncode == 0, attached.stderr
    assert len(lines(marks / "second.done")) == 1 and len(lines(marks / "undo.done")) == 1
