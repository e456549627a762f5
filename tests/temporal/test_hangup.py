"""SIGHUP (the terminal or the SSH session that started ``squall run --engine temporal``
closed) stops a Temporal run as it stops a local run (tests/engine/test_sighup.py): the
command line passes it on to the workflow, the rollbacks the strategy owes are played,
the journal's interruption names SIGHUP, exit 130. Under ``nohup`` (SIGHUP ignored) a
hang-up does not stop the run. ``squall runs attach`` only watches: a hang-up stops
following, not the run.

Found: the hang-up ended the command line (exit 130) but was not passed on, so the run
went on in Temporal unstopped, and no journal was written here."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from sqengine import Bed, ended
from sqmarks import held, lines, marked, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow


def test_sighup_stops_the_run_and_plays_the_owed_rollbacks(bed: Bed, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "hangup.json",
        [held(marks, "inject"), marked(marks, "never")],
        [marked(marks, "undo")],
    )
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--rollback-strategy", "always",
                     "--journal-path", str(journal))  # fmt: skip
    wait_for_lines(marks / "inject")
    cli.send_signal(signal.SIGHUP)
    stderr = ended(cli)
    assert cli.returncode == 130, stderr
    assert "Traceback" not in stderr
    document = json.loads(journal.read_text())
    assert document["status"] == "interrupted"
    assert document["interruption"]["name"] == "SIGHUP"
    assert document["interruption"]["kind"] == "signal"
    assert [e["activity"]["name"] for e in document["rollbacks"]] == ["undo"]
    assert len(lines(marks / "undo.done")) == 1  # played once
    assert not lines(marks / "never") and not lines(marks / "inject.done")  # stopped


def test_under_nohup_a_hang_up_does_not_stop_the_run(bed: Bed, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(
        tmp_path / "nohup.json", [held(marks, "inject"), marked(marks, "after")]
    )
    journal = tmp_path / "journal.json"
    cli = bed.follow(tmp_path, experiment, "--journal-path", str(journal), nohup=True)
    wait_for_lines(marks / "inject")
    cli.send_signal(signal.SIGHUP)
    # the run goes on: the hang-up was ignored, so the held action may end
    (marks / "release").touch()
    stderr = ended(cli)
    assert cli.returncode == 0, stderr
    document = json.loads(journal.read_text())
    assert document["status"] == "completed" and "interruption" not in document
    assert len(lines(marks / "after.done")) == 1


def test_a_hang_up_stops_following_an_attached_run_not_the_run(bed: Bed, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = write_experiment(tmp_path / "watched.json", [held(marks, "inject")])
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    output = tmp_path / "attach.out"
    attached = bed.popen(tmp_path, "runs", "attach", run_id, output=output)
    wait_for_lines(marks / "inject")
    deadline = time.monotonic() + 60
    while 'squall: running "watched"' not in output.read_text():
        assert time.monotonic() < deadline and attached.poll() is None, output.read_text()
        time.sleep(0.05)  # following: it showed the run's progress
    attached.send_signal(signal.SIGHUP)
    ended(attached)
    stderr = output.read_text()
    assert attached.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert re.search(rf"stopped following run {run_id}: it goes on in Temporal", stderr), stderr
    (marks / "release").touch()
    journal = tmp_path / "journal.json"
    done = bed.squall("runs", "attach", run_id, "--journal-path", str(journal))
    assert done.returncode == 0, done.stderr
    assert json.loads(journal.read_text())["status"] == "completed"
    assert len(lines(marks / "inject.done")) == 1
