"""What a Temporal run survives: the command line killed (-9) mid-method, a worker killed
(-9) mid-method and mid-rollback while a second worker of the queue is there. The
activities are shell processes that append their worker's pid ($PPID) to marker files, so
each line is one play, and who played it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqworker import SquallWorker, squall_cli

pytestmark = pytest.mark.slow

#: seconds without a heartbeat after which a worker is lost (the experiments say so)
HEARTBEAT = 2
#: seconds a silent worker has to take its play's question on its own queue before it is
#: lost (the worker of a method activity or a rollback; the default is 60 s)
SCHEDULE_TO_START = 15


def _shell(name: str, script: str) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]},
    }


def _experiment(path: Path, queue: str, method: list[Any], rollbacks: list[Any]) -> Path:
    path.write_text(
        json.dumps(
            {
                "title": path.stem,
                "description": "a kill test",
                "squall": {
                    "task_queue": queue,
                    "heartbeat": HEARTBEAT,
                    "schedule_to_start": SCHEDULE_TO_START,
                },
                "method": method,
                "rollbacks": rollbacks,
            }
        )
    )
    return path


def _wait_for(path: Path, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)
    return path.read_text().split()


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def pair(bed: Bed, request: pytest.FixtureRequest) -> Iterator[list[SquallWorker]]:
    """Two workers of a queue of this test's own."""
    queue = re.sub(r"\W+", "-", request.node.name)[:60]
    workers = [bed.worker(queue), bed.worker(queue)]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def _attach(bed: Bed, run_id: str, journal: Path) -> subprocess.CompletedProcess[str]:
    return bed.squall("runs", "attach", run_id, "--journal-path", str(journal), timeout=180)


def test_the_run_goes_on_and_plays_its_rollbacks_when_the_command_line_is_killed(
    bed: Bed, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = _experiment(
        tmp_path / "cli-killed.json",
        "main",
        [_shell("slow", f"echo $PPID >> {marks}/slow; sleep 2; echo done >> {marks}/slow-done")],
        [_shell("undo", f"echo $PPID >> {marks}/undo")],
    )
    cli = subprocess.Popen(
        [*squall_cli(), "run", "--engine", "temporal", str(experiment)],
        env=bed.env(),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(marks / "slow")
        cli.send_signal(signal.SIGKILL)
        assert cli.wait(timeout=10) == -signal.SIGKILL
    finally:
        if cli.poll() is None:
            cli.kill()
    # the command line recorded the run in the history as it started it
    listed = json.loads(bed.squall("runs", "list", "--json", "--limit", "100").stdout)
    (run_id,) = [r["run_id"] for r in listed if r["title"] == "cli-killed"]
    assert _wait_for(marks / "undo") == [str(bed.workers[0].pid)]
    journal = tmp_path / "j.json"
    attached = _attach(bed, run_id, journal)
    assert attached.returncode == 0, attached.stderr
    document = json.loads(journal.read_text())
    assert [e["status"] for e in document["run"]] == ["succeeded"]
    assert [e["status"] for e in document["rollbacks"]] == ["succeeded"]
    assert _lines(marks / "slow-done") == ["done"]
    assert len(_lines(marks / "undo")) == 1


def test_a_worker_killed_mid_method_another_worker_finishes_the_run(
    bed: Bed, pair: list[SquallWorker], tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = _experiment(
        tmp_path / "worker-killed-method.json",
        pair[0].queue,
        [
            _shell("slow", f"echo $PPID >> {marks}/slow; sleep 30"),
            _shell("next", f"echo $PPID >> {marks}/next"),
        ],
        [_shell("undo", f"echo $PPID >> {marks}/undo")],
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    (victim_pid,) = _wait_for(marks / "slow")
    victim = next(w for w in pair if str(w.pid) == victim_pid)
    survivor = next(w for w in pair if w is not victim)
    victim.kill()
    journal = tmp_path / "j.json"
    attached = _attach(bed, started.stdout.strip(), journal)
    assert attached.returncode == 3, attached.stderr
    document = json.loads(journal.read_text())
    slow, following = document["run"]
    assert slow["status"] == "failed"
    # the lost worker is named (when its first heartbeat reached the server)
    assert slow["squall"].get("worker", f"{victim_pid}@").startswith(f"{victim_pid}@"), slow
    assert following["squall"]["worker"].startswith(f"{survivor.pid}@"), following
    assert "worker lost" in document["squall"]["reasons"][0]
    assert following["status"] == "succeeded"
    # the lost method activity is not run again; the rest ran on the survivor, once
    assert _lines(marks / "slow") == [victim_pid]
    assert _lines(marks / "next") == [str(survivor.pid)]
    assert _lines(marks / "undo") == [str(survivor.pid)]


def test_a_worker_killed_mid_rollback_the_rollback_is_played_again_on_another(
    bed: Bed, pair: list[SquallWorker], tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = _experiment(
        tmp_path / "worker-killed-rollback.json",
        pair[0].queue,
        [_shell("inject", f"echo $PPID >> {marks}/inject")],
        [
            _shell("first", f"echo $PPID >> {marks}/first"),
            _shell("killed", f"echo $PPID >> {marks}/killed; sleep 3; echo $PPID >> {marks}/done"),
            _shell("last", f"echo $PPID >> {marks}/last"),
        ],
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    (victim_pid,) = _wait_for(marks / "killed")
    victim = next(w for w in pair if str(w.pid) == victim_pid)
    survivor = next(w for w in pair if w is not victim)
    victim.kill()
    journal = tmp_path / "j.json"
    attached = _attach(bed, started.stdout.strip(), journal)
    assert attached.returncode == 0, attached.stderr
    document = json.loads(journal.read_text())
    assert [e["activity"]["name"] for e in document["rollbacks"]] == ["first", "killed", "last"]
    assert {e["status"] for e in document["rollbacks"]} == {"succeeded"}
    # played once each; the one whose worker died mid-rollback replayed once, elsewhere
    assert len(_lines(marks / "inject")) == 1
    assert len(_lines(marks / "first")) == 1
    assert _lines(marks / "killed") == [victim_pid, str(survivor.pid)]
    assert _lines(marks / "done") == [str(survivor.pid)]
    assert _lines(marks / "last") == [str(survivor.pid)]


def test_a_worker_told_to_stop_mid_method_gives_the_rest_to_another(
    bed: Bed, tmp_path: Path
) -> None:
    """SIGTERM: the worker lets its activity run for --shutdown-grace seconds, then stops
    it, says so and exits 130; the method activity is recorded as failed (not run
    again), the run goes on with the other worker of the queue. Found: the worker said
    nothing of its own, printed temporalio's traceback of the stop, and exited 0.

    A second signal during the grace (here SIGINT after the SIGTERM) changes nothing but
    is said: the grace is not cut short. Found: it was silently ignored."""
    queue = "graceful"
    workers = [bed.worker(queue, "--shutdown-grace", "3") for _ in range(2)]
    marks = tmp_path / "marks"
    marks.mkdir()
    experiment = _experiment(
        tmp_path / "worker-stopped.json",
        queue,
        [
            _shell("slow", f"echo $PPID >> {marks}/slow; sleep 30"),
            _shell("next", f"echo $PPID >> {marks}/next"),
        ],
        [_shell("undo", f"echo $PPID >> {marks}/undo")],
    )
    try:
        started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
        assert started.returncode == 0, started.stderr
        (victim_pid,) = _wait_for(marks / "slow")
        victim = next(w for w in workers if str(w.pid) == victim_pid)
        survivor = next(w for w in workers if w is not victim)
        told = time.monotonic()
        victim.process.send_signal(signal.SIGTERM)
        while "SIGTERM received: stopping" not in victim.log():
            assert time.monotonic() < told + 30, victim.log()
            time.sleep(0.05)
        victim.process.send_signal(signal.SIGINT)  # a second signal, during the grace
        # it stopped a step unfinished: exit 130, each said in squall's words (no
        # temporalio traceback), once the whole grace had passed
        assert victim.process.wait(timeout=30) == 130, victim.log()
        assert time.monotonic() - told >= 3, victim.log()
        said = victim.log()
        assert (
            "squall worker: SIGTERM received: stopping: it takes no new work; the 1 "
            "step it runs may finish within 3 s (--shutdown-grace), then it is stopped" in said
        ), said
        assert (
            "squall worker: SIGINT received again: still stopping, within the 3 s of "
            "--shutdown-grace (kill -9 cuts it short" in said
        ), said
        assert (
            'method activity "slow" was still running when the shutdown grace '
            "ended: stopped (its run records it as failed)" in said
        ), said
        assert "1 step was stopped unfinished" in said and "Traceback" not in said, said
        journal = tmp_path / "j.json"
        attached = _attach(bed, started.stdout.strip(), journal)
        assert attached.returncode == 3, attached.stderr
        slow, following = json.loads(journal.read_text())["run"]
        assert slow["status"] == "failed"
        assert "was shut down before it ended" in " ".join(slow["exception"])
        assert following["status"] == "succeeded"
        assert _lines(marks / "slow") == [victim_pid]
        assert _lines(marks / "next") == [str(survivor.pid)]
        assert _lines(marks / "undo") == [str(survivor.pid)]
    finally:
        for worker in workers:
            worker.stop()


@pytest.mark.parametrize("told", [signal.SIGINT, signal.SIGTERM])
def test_an_idle_worker_told_to_stop_says_so_and_exits_0(bed: Bed, told: signal.Signals) -> None:
    worker = bed.worker("idle-stop")
    worker.process.send_signal(told)
    assert worker.process.wait(timeout=30) == 0, worker.log()
    said = worker.log()
    assert (
        f"squall worker: {told.name} received: stopping: it takes no new work; it "
        "runs no step" in said
    ), said
    assert said.rstrip().endswith("squall worker: stopped (every step it ran had finished)")
