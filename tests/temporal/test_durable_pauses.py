"""A pause written as ``${name}`` is a durable Temporal timer when the configuration the
run starts with resolves it (inline configuration, ``--var``, a var file, an ``env``
entry on the worker that starts the run): it survives the death of the worker (kill -9
during the pause, another worker goes on with the run, the paused activity is not run
again nor counted as lost); one the start cannot resolve (a secret, a key a control adds
later) is still slept on the worker. Real dev server, real ``squall worker``
subprocesses."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest

from sqengine import Bed
from sqmarks import lines, marked, queue_name, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow

#: seconds of the pause (long enough to kill the worker in it)
PAUSE = 8


def _timers(bed: Bed, run_id: str) -> list[float]:
    """The durations (seconds) of the run's Temporal timers."""
    found = []
    for event in bed.history(run_id):
        if event.get("eventType") == "EVENT_TYPE_TIMER_STARTED":
            attributes = event["timerStartedEventAttributes"]
            found.append(float(attributes["startToFireTimeout"].rstrip("s")))
    return found


def test_a_pause_by_name_survives_the_death_of_its_worker(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "named-pause.json",
        [{**marked(m, "before-pause"), "pauses": {"after": "${wait}"}}, marked(m, "after-pause")],
        [marked(m, "undo")],
        configuration={"wait": 1},
        squall={"task_queue": queue, "heartbeat": 2},
    )
    victim = bed.worker(queue)
    started = bed.squall(
        "run", "--engine", "temporal", "--detach", "--var", f"wait={PAUSE}", str(experiment)
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    wait_for_lines(m / "before-pause.done")
    deadline = time.monotonic() + 30
    while PAUSE not in _timers(bed, run_id):  # the workflow sleeps it, not the worker
        assert time.monotonic() < deadline, f"no timer of {PAUSE} s: {_timers(bed, run_id)}"
        time.sleep(0.2)
    os.kill(victim.pid, signal.SIGKILL)
    bed.worker(queue)
    journal = tmp_path / "journal.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal), timeout=120)
    assert attached.returncode == 0, attached.stderr
    document = json.loads(journal.read_text())
    first, second = document["run"]
    assert [first["status"], second["status"]] == ["succeeded", "succeeded"]
    assert "squall" not in first or "temporal" not in first["squall"], first
    assert len(lines(m / "before-pause")) == 1 and len(lines(m / "after-pause")) == 1
    paused = datetime.fromisoformat(second["start"]) - datetime.fromisoformat(first["end"])
    assert paused.total_seconds() >= PAUSE, paused
    assert len(lines(m / "undo")) == 1  # played once, by the second worker


def test_a_pause_the_start_cannot_resolve_is_slept_on_the_worker(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``${name}`` from a secret: not resolved into Temporal's history (a secret never is),
    slept by the worker as before; the run is the same."""
    queue = queue_name(request)
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "secret-pause.json",
        [{**marked(m, "a"), "pauses": {"after": "${hush}"}}, marked(m, "b")],
        secrets={"s": {"hush": {"type": "env", "key": "TWSPLIT_PAUSE"}}},
        squall={"task_queue": queue},
    )
    journal = tmp_path / "journal.json"
    with bed.worker(queue, TWSPLIT_PAUSE="0.5"):
        done = bed.squall(
            "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = json.loads(journal.read_text())["run"]
    paused = datetime.fromisoformat(second["start"]) - datetime.fromisoformat(first["end"])
    assert paused.total_seconds() >= 0.5, paused
    run_id = json.loads(journal.read_text())["squall"]["run_id"]
    assert _timers(bed, run_id) == []
