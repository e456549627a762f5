"""kill -9 at the moments that matter, with real processes: the command line and the
command that attaches to a run, a worker alone (not its process group: its orphan guard
must end what it was playing), every worker of a queue at once. Each kill lands when
an activity has written its marker file; the markers count every play of every
activity, and who played it ($PPID = the worker's pid)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import held, lines, marked, queue_name, shell, wait_for_lines, write_experiment
from sqworker import SquallWorker, squall_cli

pytestmark = pytest.mark.slow

#: seconds without a heartbeat after which a worker is lost (the experiments say so)
HEARTBEAT = 2
#: seconds a silent worker has to take its play's question on its own queue before it is
#: lost (the worker of a method activity, the hypothesis or a rollback; default 60 s)
SCHEDULE_TO_START = 15


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def _popen(bed: Bed, cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    """``squall ARGS`` in the background, its stderr in ``cwd/ARGS[0].log``."""
    with (cwd / f"{args[0]}.log").open("wb") as log:
        return subprocess.Popen(
            [*squall_cli(), *args],
            env=bed.env(),
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _killed(process: subprocess.Popen[bytes]) -> None:
    """kill -9 ``process`` (a squall command), which was still running."""
    assert process.poll() is None, "the command ended before the kill"
    _kill(process.pid)
    assert process.wait(timeout=10) == -signal.SIGKILL


def _wait_for_text(path: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in (path.read_text(errors="replace") if path.exists() else ""):
        assert time.monotonic() < deadline, f"{path.name}: no {text!r}"
        time.sleep(0.05)


def _heartbeated(bed: Bed, run_id: str, timeout: float = 30) -> None:
    """The server has a heartbeat of the run's running activity (it names the worker)."""
    deadline = time.monotonic() + timeout
    while True:
        described = bed.server.cli("workflow", "describe", "--workflow-id", run_id, "-o", "json")
        if described.returncode == 0 and "heartbeatDetails" in described.stdout:
            return
        assert time.monotonic() < deadline, described.stdout + described.stderr
        time.sleep(0.1)


def _wait_for_events(bed: Bed, run_id: str, text: str, timeout: float = 120) -> None:
    """The run's progress (its workflow's ``progress`` query) says ``text``."""
    deadline = time.monotonic() + timeout
    while True:
        done = bed.server.cli("workflow", "query", "--workflow-id", run_id, "--type",
                              "progress", "--input", "0")  # fmt: skip
        if text in done.stdout:
            return
        assert time.monotonic() < deadline, (done.stdout, done.stderr)
        time.sleep(0.5)


def _detached(bed: Bed, experiment: Path) -> str:
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    return started.stdout.strip()


def _attach(bed: Bed, run_id: str, journal: Path) -> tuple[int, dict[str, Any], str]:
    done = bed.squall("runs", "attach", run_id, "--journal-path", str(journal), timeout=180)
    assert journal.exists(), done.stderr
    return done.returncode, json.loads(journal.read_text()), done.stderr


def _run_id_of(bed: Bed, title: str) -> str:
    listed = json.loads(bed.squall("runs", "list", "--json", "--limit", "200").stdout)
    (run_id,) = [r["run_id"] for r in listed if r["title"] == title]
    return str(run_id)


@pytest.mark.parametrize("moment", ["method", "rollback"])
def test_killing_the_command_line_then_its_attach_loses_nothing(
    bed: Bed, tmp_path: Path, moment: str
) -> None:
    """kill -9 of ``squall run --engine temporal`` mid-method (or mid-rollback), then kill
    -9 of the ``runs attach`` that followed it, at the same moment: the run still ends,
    every activity is played once, and a last ``runs attach`` gets the journal and the
    exit code (1: the experiment deviates) and records the run."""
    m = tmp_path
    inject = held(m, "inject") if moment == "method" else marked(m, "inject")
    undo = held(m, "undo") if moment == "rollback" else marked(m, "undo")
    experiment = write_experiment(
        tmp_path / f"cli-killed-{moment}.json",
        [inject],
        [undo],
        **{
            "steady-state-hypothesis": {
                "title": "inject has not finished",
                "probes": [shell("not-done", f"test ! -e {m}/inject.done", "probe", tolerance=0)],
            }
        },
    )
    cli = _popen(bed, tmp_path, "run", "--engine", "temporal", str(experiment))
    try:
        wait_for_lines(m / ("inject" if moment == "method" else "undo"))
        _killed(cli)
    finally:
        cli.kill()
    run_id = _run_id_of(bed, experiment.stem)
    attach = _popen(bed, tmp_path, "runs", "attach", run_id)
    try:  # the attach follows the run once it has shown the run's header
        _wait_for_text(tmp_path / "runs.log", run_id)
        _killed(attach)
    finally:
        attach.kill()
        (m / "release").touch()
    code, journal, stderr = _attach(bed, run_id, tmp_path / "journal.json")
    assert code == 1, stderr
    assert journal["squall"]["outcome"] == "deviated"
    assert journal["squall"]["run_id"] == run_id
    assert [e["status"] for e in journal["run"]] == ["succeeded"]
    assert [e["status"] for e in journal["rollbacks"]] == ["succeeded"]
    assert "undo" in stderr  # the attach showed the run's progress lines
    for name in ("inject", "undo"):
        assert len(lines(m / name)) == 1, name
        assert lines(m / f"{name}.done") == lines(m / name), name
    shown = json.loads(bed.squall("runs", "show", run_id, "--json").stdout)
    assert shown["outcome"] == "deviated"


def test_a_worker_killed_alone_mid_rollback_is_replaced_and_the_journal_says_so(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """kill -9 of a worker's pid alone (its reaper survives it a moment): the rollback
    it was playing is stopped there (never finished by an orphan), played again from
    the start on the other worker, and recorded as replayed; the others once each."""
    queue = queue_name(request)
    pair = [bed.worker(queue), bed.worker(queue)]
    m = tmp_path
    experiment = write_experiment(
        tmp_path / "worker-killed-rollback.json",
        [marked(m, "inject")],
        # held, not a fixed 4 s: under load the kill came after such a rollback's end
        [marked(m, "first"), held(m, "killed"), marked(m, "last")],
        squall={
            "task_queue": queue,
            "heartbeat": HEARTBEAT,
            "schedule_to_start": SCHEDULE_TO_START,
        },
    )
    run_id = _detached(bed, experiment)
    (victim,) = wait_for_lines(m / "killed")
    _heartbeated(bed, run_id)
    (survivor,) = [str(w.pid) for w in pair if str(w.pid) != victim]
    _kill(int(victim))
    wait_for_lines(m / "killed", 2)  # the survivor plays it again
    (m / "release").touch()  # an orphan of the victim's play would finish now
    code, journal, stderr = _attach(bed, run_id, tmp_path / "journal.json")
    assert code == 0, stderr
    entries = {e["activity"]["name"]: e for e in journal["rollbacks"]}
    assert list(entries) == ["first", "killed", "last"]
    assert {e["status"] for e in entries.values()} == {"succeeded"}
    # the journal says which rollback was played again, and why
    replayed = entries["killed"].get("squall") or {}
    assert replayed.get("attempt") == 2, entries["killed"]
    assert f"before ({victim}@" in str(replayed.get("replayed")), entries["killed"]
    assert "played again" in stderr
    for name in ("first", "last"):
        assert "attempt" not in (entries[name].get("squall") or {}), entries[name]
    # started twice, finished once (by the survivor, long after the kill); others once
    assert lines(m / "killed") == [victim, survivor]
    assert lines(m / "killed.done") == [survivor]
    for name in ("inject", "first", "last"):
        assert len(lines(m / name)) == 1 and lines(m / f"{name}.done") == lines(m / name)


def test_every_worker_of_the_queue_dead_mid_rollback_a_later_worker_plays_it(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The only worker of the rollback's queue dies mid-rollback and none comes back for
    longer than the schedule-to-start timeout: the owed rollback waits for a worker (it is
    a durable compensation), the run says so (its workflow runs on the bed's queue), and
    the next worker of the queue plays it."""
    queue = queue_name(request)
    worker = bed.worker(queue)
    m = tmp_path
    wait = 2
    experiment = write_experiment(
        tmp_path / "all-dead.json",
        [marked(m, "inject")],
        # held until the later worker is there: a rollback of a fixed second was over
        # before the kill once the machine was loaded (nothing to replay)
        [{**held(m, "killed"), "squall": {"task_queue": queue}}],
        squall={"heartbeat": HEARTBEAT, "schedule_to_start": wait},
    )
    run_id = _detached(bed, experiment)
    wait_for_lines(m / "killed")
    _heartbeated(bed, run_id)
    _kill(worker.pid)
    worker.process.wait(timeout=10)
    # no worker at all for longer than heartbeat + schedule-to-start (the point of the
    # test): the run says the rollback waits
    _wait_for_events(bed, run_id, "waits for a worker of task queue")
    later = bed.worker(queue)
    (m / "release").touch()  # an orphan of the killed worker's play would finish now
    code, journal, stderr = _attach(bed, run_id, tmp_path / "journal.json")
    assert code == 0, stderr
    (entry,) = journal["rollbacks"]
    assert entry["status"] == "succeeded", entry
    assert f"before ({worker.pid}@" in str((entry.get("squall") or {}).get("replayed")), entry
    assert "waits for a worker" in stderr
    assert lines(m / "killed") == [str(worker.pid), str(later.pid)]
    assert lines(m / "killed.done") == [str(later.pid)]


#: activities of the random-kill run, in the order they run
_METHOD = ("m1", "m2")
_ROLLBACKS = ("r1", "r2", "r3")


def _living(marker: Path, workers: list[SquallWorker], timeout: float = 120) -> str:
    """The pid on ``marker``'s last line once it is a living worker's (an activity that
    started on a worker killed since is awaited on the next one)."""
    deadline = time.monotonic() + timeout
    while True:
        found = lines(marker)
        if found and found[-1] in {str(w.pid) for w in workers if w.alive()}:
            return found[-1]
        assert time.monotonic() < deadline, f"{marker.name}: {found}"
        time.sleep(0.05)


#: kills at r2's end and r3's start; at m2's and r1's starts
@pytest.mark.parametrize("seed", [11, 20])
def test_workers_killed_at_random_moments_keep_every_guarantee(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest, seed: int
) -> None:
    """Two kill -9 of workers at moments drawn at random (an activity's start: its worker
    dies mid-activity; or its end: the worker may be reporting it, or deciding or
    starting what runs next), a fresh worker started after each, two always polling.
    Whatever the moments: a method activity runs once at most (failed "worker lost" only
    if its worker died), each rollback ends, by the last worker that started it, after
    starts and ends only by workers that died, and the journal says which were replayed
    and whose death made it so."""
    import random

    draw = random.Random(seed)
    queue = queue_name(request)
    workers = [bed.worker(queue), bed.worker(queue)]
    m = tmp_path
    experiment = write_experiment(
        tmp_path / f"random-kills-{seed}.json",
        [marked(m, name, 2) for name in _METHOD],
        [marked(m, name, 2) for name in _ROLLBACKS],
        squall={
            "task_queue": queue,
            "heartbeat": HEARTBEAT,
            "schedule_to_start": SCHEDULE_TO_START,
        },
    )
    order = [(name, edge) for name in _METHOD + _ROLLBACKS for edge in ("start", "end")]
    moments = [order[i] for i in sorted(draw.sample(range(len(order)), 2))]
    run_id = _detached(bed, experiment)
    victims: list[str] = []
    for name, edge in moments:
        victim = _living(m / (name if edge == "start" else f"{name}.done"), workers)
        if edge == "start":
            _heartbeated(bed, run_id)
        _kill(int(victim))
        victims.append(victim)
        workers.append(bed.worker(queue))
    code, journal, stderr = _attach(bed, run_id, tmp_path / "journal.json")
    context = f"seed {seed}, kills at {moments} of {victims}\n{stderr}"
    run = {e["activity"]["name"]: e for e in journal["run"]}
    assert list(run) == list(_METHOD), context
    for name in _METHOD:
        # at most once: a worker killed as it took the activity may not have started it
        starters = lines(m / name)
        assert len(starters) <= 1, (name, starters, context)
        if run[name]["status"] == "failed":
            reason = "".join(run[name].get("exception") or [])
            assert "worker lost" in reason, (name, reason, context)
            assert set(starters) <= set(victims), (name, starters, context)
        else:
            assert lines(m / f"{name}.done") == starters != [], (name, starters, context)
        if not lines(m / f"{name}.done"):  # its worker died under it: never finished
            assert run[name]["status"] == "failed", (name, context)
    broken = any(e["status"] == "failed" for e in run.values())
    assert code == (3 if broken else 0), context
    rollbacks = {e["activity"]["name"]: e for e in journal["rollbacks"]}
    assert list(rollbacks) == list(_ROLLBACKS), context
    for name in _ROLLBACKS:
        started, ended = lines(m / name), lines(m / f"{name}.done")
        assert rollbacks[name]["status"] == "succeeded", (name, context)
        assert ended and ended[-1] == started[-1], (name, started, ended, context)
        assert set(started[:-1]) <= set(victims), (name, started, context)
        assert set(ended[:-1]) <= set(victims), (name, ended, context)
        # replayed: said so, naming a worker that died (it may have died as it took the
        # rollback, before its process started: then the markers show one start only)
        replayed = str((rollbacks[name].get("squall") or {}).get("replayed") or "")
        if len(started) > 1:
            assert replayed, (name, rollbacks[name], context)
        named = re.findall(r"before \((\d+)@", replayed)  # its heartbeat may not have come
        assert set(named) <= set(victims), (name, replayed, context)


def test_a_worker_killed_mid_hypothesis_is_not_read_as_a_deviation(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """kill -9 of the worker checking the steady state after the method: the other
    worker checks it again (probes have no side effects), and the run holds; before,
    the lost worker's probe failed and the run read as deviated (exit 1)."""
    queue = queue_name(request)
    pair = [bed.worker(queue), bed.worker(queue)]
    m = tmp_path
    probe = {**marked(m, "check", 3, kind="probe"), "tolerance": 0}
    experiment = write_experiment(
        tmp_path / "worker-killed-hypothesis.json",
        [marked(m, "inject")],
        **{
            "steady-state-hypothesis": {"title": "it answers", "probes": [probe]},
            "squall": {
                "task_queue": queue,
                "heartbeat": HEARTBEAT,
                "schedule_to_start": SCHEDULE_TO_START,
            },
        },
    )
    run_id = _detached(bed, experiment)
    victim = wait_for_lines(m / "check", 2)[1]  # the check after the method
    _heartbeated(bed, run_id)
    (survivor,) = [str(w.pid) for w in pair if str(w.pid) != victim]
    _kill(int(victim))
    code, journal, stderr = _attach(bed, run_id, tmp_path / "journal.json")
    assert code == 0, stderr
    assert journal["deviated"] is False
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert lines(m / "check")[1:] == [victim, survivor]
    assert lines(m / "inject") == lines(m / "inject.done"), "the method ran once"
    assert len(lines(m / "inject")) == 1
