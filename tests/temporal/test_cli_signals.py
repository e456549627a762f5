"""Signals to ``squall run --engine temporal`` stop the run as they stop a local run
(the conformance corpus's signal cases compare both engines: test_corpus_parity.py):
the command line passes the signal it received to the workflow (its ``stop`` signal,
naming it) and follows the run to its end. Here, with real workers, what the corpus
does not show: SIGUSR2 plays no rollback even under ``--rollback-strategy always``;
SIGUSR1 lets a background activity run to its end; a second SIGINT stops following
(the run goes on in Temporal and `runs attach` gets its journal)."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed, ended
from sqmarks import held, lines, marked, shell, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow


def _own_pid(marks: Path, name: str) -> dict[str, Any]:
    """A method action that writes its own shell's pid, then waits for the release."""
    wait = f"while [ ! -e {marks}/release ]; do sleep 0.05; done"
    own = f"read pid rest < /proc/self/stat; echo $pid >> {marks}/{name}"  # no fork: the shell's
    return shell(name, f"{own}; {wait}; echo done >> {marks}/{name}.done")


def _gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


def test_sigusr2_stops_the_run_and_plays_no_rollback_even_under_always(
    bed: Bed, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "usr2.json",
        [_own_pid(marks, "long"), marked(marks, "never")],
        [marked(marks, "undo")],
    )
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--rollback-strategy", "always",
                  "--journal-path", str(journal))  # fmt: skip
    (pid,) = wait_for_lines(marks / "long")
    cli.send_signal(signal.SIGUSR2)
    stderr = ended(cli)
    assert cli.returncode == 130, stderr
    assert "Traceback" not in stderr
    _gone(int(pid))  # the action's process was stopped on the worker
    document = json.loads(journal.read_text())
    assert document["status"] == "interrupted"
    assert document["interruption"]["name"] == "SIGUSR2"
    assert document["interruption"]["kind"] == "signal"
    assert document["rollbacks"] == []
    assert not lines(marks / "undo") and not lines(marks / "never")


def test_sigusr1_lets_a_background_activity_end_and_the_strategy_decides_rollbacks(
    bed: Bed, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    background = {**held(marks, "bg"), "background": True}
    experiment = write_experiment(
        tmp_path / "usr1.json",
        [background, _own_pid(marks, "fg"), marked(marks, "never")],
        [marked(marks, "undo")],
    )
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--rollback-strategy", "always",
                  "--journal-path", str(journal))  # fmt: skip
    wait_for_lines(marks / "bg")
    (pid,) = wait_for_lines(marks / "fg")
    cli.send_signal(signal.SIGUSR1)
    _gone(int(pid))  # the stop reached the worker: the foreground action was stopped
    (marks / "release").touch()  # only now may the background activity end
    stderr = ended(cli)
    assert cli.returncode == 130, stderr
    document = json.loads(journal.read_text())
    assert document["interruption"]["name"] == "SIGUSR1"
    entries = {e["activity"]["name"]: e for e in document["run"]}
    assert entries["bg"]["status"] == "succeeded", entries["bg"]
    assert entries["fg"]["status"] == "failed"
    assert "never" not in entries and not lines(marks / "never")
    assert len(lines(marks / "bg.done")) == 1
    assert not lines(marks / "fg.done")
    assert len(lines(marks / "undo.done")) == 1  # played once (always)


def test_a_second_sigint_stops_following_and_the_run_still_plays_its_rollback(
    bed: Bed, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "twice.json", [_own_pid(marks, "long")], [held(marks, "undo")]
    )
    cli = bed.follow(tmp_path, experiment, "--rollback-strategy", "always")
    (pid,) = wait_for_lines(marks / "long")
    cli.send_signal(signal.SIGINT)  # stop the run: it goes to its rollback
    wait_for_lines(marks / "undo")  # the rollback plays (held until released)
    cli.send_signal(signal.SIGINT)  # stop following
    stderr = ended(cli)
    assert cli.returncode == 130, stderr
    assert "Traceback" not in stderr
    found = re.search(r"stopped following run ([0-9a-f]{12}): it goes on in Temporal", stderr)
    assert found, stderr
    assert not lines(marks / "undo.done")
    (marks / "release").touch()
    journal = tmp_path / "journal.json"
    attached = bed.squall("runs", "attach", found.group(1), "--journal-path", str(journal))
    assert attached.returncode == 130, attached.stderr
    document = json.loads(journal.read_text())
    assert document["interruption"]["name"] == "SIGINT"
    assert [e["status"] for e in document["rollbacks"]] == ["succeeded"]
    assert len(lines(marks / "undo.done")) == 1
    _gone(int(pid))


def test_a_stop_reaches_the_running_activity_at_its_next_heartbeat_not_the_throttled_one(
    bed: Bed, tmp_path: Path
) -> None:
    """The worker heartbeats every second and a stop (a cancellation) comes back in a
    heartbeat's answer: Temporal's default throttle (0.8 x the heartbeat timeout, here
    24 s) made a stopped fault run on that long."""
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "prompt.json", [_own_pid(marks, "long")], squall={"heartbeat": 30}
    )
    cli = bed.follow(tmp_path, experiment)
    (pid,) = wait_for_lines(marks / "long")
    time.sleep(1.5)  # past the first heartbeat, which is never throttled
    stopped = time.monotonic()
    cli.send_signal(signal.SIGINT)
    _gone(int(pid), timeout=60)
    took = time.monotonic() - stopped
    stderr = ended(cli)
    assert cli.returncode == 130, stderr
    assert took < 15, f"the stopped activity ran {took:.1f} s more (throttle: 24 s)"
