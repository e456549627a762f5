"""Controls and safeguards on the Temporal engine, with real ``squall`` and ``squall
worker`` processes: a control's calls (in order, with what they are handed) are those of a
local run; an activity control changes an activity on the worker that runs it; repeat;
squall's safeguards stop the run (a breach mid-method, a blocking probe that fails
before the start) and the rollbacks are played once; a control's worker killed mid-run
stops the run (fail-safe), which plays its rollbacks."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import held, lines, marked, queue_name, shell, wait_for_lines, write_experiment
from sqworker import squall_cli

pytestmark = pytest.mark.slow


def _recorder(log: Path, **arguments: Any) -> dict[str, Any]:
    """A control (tests/support/ctkcontrol.py) writing each call to ``log``."""
    return {
        "name": "recorder",
        "provider": {
            "type": "python",
            "module": "ctkcontrol",
            "arguments": {"log": str(log), **arguments},
        },
    }


def _calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _journal(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _names(journal: dict[str, Any], key: str = "run") -> list[str]:
    return [e["activity"]["name"] for e in journal[key]]


def _both(bed: Bed, tmp_path: Path, make: Any) -> tuple[Any, Any]:
    """The experiment ``make(side_dir)`` run locally and on Temporal (queue ``main``):
    each side's (completed process, journal, directory)."""
    out = []
    for side in ("local", "temporal"):
        where = tmp_path / side
        where.mkdir()
        experiment = make(where)
        engine = ["--engine", "temporal"] if side == "temporal" else []
        done = bed.squall("run", *engine, str(experiment), "--journal-path", str(where / "j.json"))
        out.append((done, _journal(where / "j.json"), where))
    return out[0], out[1]


def test_a_control_s_calls_are_those_of_a_local_run(bed: Bed, tmp_path: Path) -> None:
    def make(where: Path) -> Path:
        log = where / "calls.log"
        probe = shell("answers", "echo ok", kind="probe", tolerance=0)
        return write_experiment(
            where / "recorded.json",
            [marked(where, "a1"), {**marked(where, "a2"), "squall": {"task_queue": "b"}}],
            [marked(where, "r1")],
            controls=[_recorder(log, label="top")],
            **{"steady-state-hypothesis": {"title": "up", "probes": [probe]}},
        )

    (local, local_journal, local_dir), (temporal, journal, where) = _both(bed, tmp_path, make)
    assert (temporal.returncode, local.returncode) == (0, 0), temporal.stderr
    calls = _calls(where / "calls.log")
    assert calls == _calls(local_dir / "calls.log")
    events = [c["event"] for c in calls]
    assert events[:3] == ["configure", "before_experiment", "before_hypothesis"]
    assert events[-3:] == ["after_rollback", "after_experiment", "cleanup"]
    # each activity between its own before and after, the method's run count handed over
    assert {"event": "after_method", "label": "top", "runs": 2} in calls
    assert {"event": "after_experiment", "label": "top", "status": "completed"} in calls
    assert _names(journal) == _names(local_journal) == ["a1", "a2"]


def test_an_activity_control_skips_the_activity_on_its_worker(bed: Bed, tmp_path: Path) -> None:
    def make(where: Path) -> Path:
        skipped = {**marked(where, "skipped"), "squall": {"task_queue": "b"}}
        skipped["controls"] = [_recorder(where / "calls.log", skip="skipped")]
        return write_experiment(where / "skip.json", [skipped, marked(where, "kept")])

    (local, local_journal, _), (temporal, journal, where) = _both(bed, tmp_path, make)
    assert temporal.returncode == local.returncode == 0, temporal.stderr
    assert not (where / "skipped").exists()  # not executed on queue b's worker
    assert lines(where / "kept.done")
    entry = journal["run"][0]
    assert entry["activity"]["dry"] is True and entry["output"] is None
    local_entry = local_journal["run"][0]
    same = ("status", "output", "tolerance_met")
    assert {k: entry.get(k) for k in same} == {k: local_entry.get(k) for k in same}
    assert local_entry["activity"]["dry"] is True
    calls = _calls(where / "calls.log")
    assert [c["event"] for c in calls] == [
        "configure",
        "before_activity",
        "after_activity",
        "cleanup",
    ]


def test_repeat_runs_each_iteration_as_locally(bed: Bed, tmp_path: Path) -> None:
    def make(where: Path) -> Path:
        again = marked(where, "again")
        again["controls"] = [
            {
                "name": "repeat",
                "provider": {
                    "type": "python",
                    "module": "squall.controls.repeat",
                    "arguments": {"repeat_count": 3},
                },
            }
        ]
        return write_experiment(where / "repeat.json", [again, marked(where, "after")])

    (local, local_journal, _), (temporal, journal, where) = _both(bed, tmp_path, make)
    assert temporal.returncode == local.returncode == 0, temporal.stderr
    assert len(lines(where / "again.done")) == 3
    assert _names(journal) == _names(local_journal) == ["again", "again", "again", "after"]
    indexes = [e["activity"].get("iteration_index") for e in journal["run"]]
    assert indexes == [e["activity"].get("iteration_index") for e in local_journal["run"]]
    assert indexes == [None, 1, 2, None]


def _safeguard(*probes: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "safeguards",
        "provider": {
            "type": "python",
            "module": "squall.controls.safeguards",
            "arguments": {"probes": list(probes)},
        },
    }


def _breached(bed: Bed, experiment: Path, probe: str) -> dict[str, Any]:
    """Run ``experiment`` on Temporal: it is interrupted by the safeguard ``probe``
    (exit 130, kind safeguard, the reason names the probe); its journal."""
    journal_path = experiment.with_suffix(".journal.json")
    done = bed.squall(
        "run", "--engine", "temporal", str(experiment), "--journal-path", str(journal_path)
    )
    assert done.returncode == 130, done.stderr
    journal = _journal(journal_path)
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["kind"] == "safeguard"
    assert f'safeguard probe "{probe}" breached' in journal["interruption"]["reason"]
    return journal


def test_a_safeguard_breach_mid_method_stops_the_run_and_plays_the_rollbacks_once(
    bed: Bed, tmp_path: Path
) -> None:
    # the guard watches every 0.2 s that marks/trip does not exist; the method's first
    # activity creates it and then holds (it would hold forever): only the breach ends it
    guard = shell("no-trip", f"test ! -e {tmp_path}/trip", kind="probe", tolerance=0)
    guard["frequency"] = 0.2
    holds = held(tmp_path, "holds")
    holds["provider"]["arguments"][1] = (
        f"touch {tmp_path}/trip; " + holds["provider"]["arguments"][1]
    )
    experiment = write_experiment(
        tmp_path / "guarded.json",
        [holds, marked(tmp_path, "never")],
        [marked(tmp_path, "undo")],
        controls=[_safeguard(guard)],
    )
    journal = _breached(bed, experiment, "no-trip")
    assert _names(journal) == ["holds"]
    assert journal["run"][0]["status"] == "failed"  # cancelled on its worker
    assert not (tmp_path / "never").exists() and not (tmp_path / "holds.done").exists()
    assert len(wait_for_lines(tmp_path / "undo.done")) == 1
    assert _names(journal, "rollbacks") == ["undo"]
    assert journal["squall"]["exit_code"] == 130


def test_a_blocking_safeguard_that_fails_stops_the_run_before_it_starts(
    bed: Bed, tmp_path: Path
) -> None:
    guard = shell("precondition", "exit 3", kind="probe", tolerance=0)
    experiment = write_experiment(
        tmp_path / "blocked.json",
        [marked(tmp_path, "fault")],
        [marked(tmp_path, "undo")],
        controls=[_safeguard(guard)],
    )
    journal = _breached(bed, experiment, "precondition")
    assert journal["run"] == [] and journal["rollbacks"] == []
    assert not (tmp_path / "fault").exists() and not (tmp_path / "undo").exists()


def test_a_control_s_worker_killed_mid_run_stops_the_run_and_its_rollback_is_played(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two workers on the test's queue; the one holding the run's controls (it wrote
    its pid at configure) is killed while the method holds: the run does not hang nor go
    on unwatched: it is stopped (fail-safe), its rollback is played once on the other,
    and the journal says the controls were lost (tests/temporal/test_controls_lost.py
    has the rest)."""
    queue = queue_name(request)
    first = bed.worker(queue)
    second = bed.worker(queue)
    log = tmp_path / "calls.log"
    experiment = write_experiment(
        tmp_path / "killed.json",
        [held(tmp_path, "holds"), marked(tmp_path, "next")],
        [marked(tmp_path, "undo")],
        controls=[_recorder(log, with_pid=True)],
        squall={"heartbeat": 2, "schedule_to_start": 5},
    )
    journal_path = tmp_path / "j.json"
    run = subprocess.Popen(
        [
            *squall_cli(),
            "run",
            "--engine",
            "temporal",
            "--task-queue",
            queue,
            str(experiment),
            "--journal-path",
            str(journal_path),
        ],
        env=bed.env(SQUALL_TEMPORAL_TASK_QUEUE=queue),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        holder = wait_for_lines(tmp_path / "holds", timeout=120)[0]
        configured = [c for c in _calls(log) if c["event"] == "configure"]
        assert len(configured) == 1
        pids = {c["pid"] for c in _calls(log) if "pid" in c}
        assert len(pids) == 1, _calls(log)
        (control,) = [w for w in (first, second) if w.pid in pids]
        control.kill()
        (tmp_path / "release").touch()
        _, err = run.communicate(timeout=240)
    finally:
        if run.poll() is None:
            run.kill()
    journal = _journal(journal_path)
    reasons = " ".join(journal["squall"]["reasons"])
    assert "controls and plugins were lost with their worker" in reasons, err
    assert len(lines(tmp_path / "undo.done")) == 1  # played once, on the survivor
    assert journal["rollbacks"][0]["status"] == "succeeded"
    events = [c["event"] for c in _calls(log)]
    assert "cleanup" not in events and "after_experiment" not in events
    assert run.returncode == 130, err  # stopped: it lost its safeguards
    assert journal["interruption"]["name"] == "controls-lost"
    assert holder.isdigit() and os.getpid() != int(holder)


def test_a_terminated_run_s_safeguards_stop_watching(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A run terminated from outside (no cleanup hook) while a safeguard watches: its
    worker sees the run is over and cleans its controls up (the guard stops probing)."""
    queue = queue_name(request)
    worker = bed.worker(queue)
    probe = shell("watch", f"echo x >> {tmp_path}/probed", kind="probe", tolerance=0)
    probe["frequency"] = 0.2
    experiment = write_experiment(
        tmp_path / "terminated.json",
        [held(tmp_path, "holds")],
        controls=[_safeguard(probe)],
        squall={"task_queue": queue},
    )
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split()[-1]
    try:
        wait_for_lines(tmp_path / "holds", timeout=120)
        wait_for_lines(tmp_path / "probed", count=2, timeout=60)  # it watches
        ended = bed.server.cli("workflow", "terminate", "--workflow-id", run_id)
        assert ended.returncode == 0, ended.stderr
        deadline = time.monotonic() + 120
        while "cleaned up now" not in worker.log():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.2)
        probed = len(lines(tmp_path / "probed"))
        time.sleep(1.0)  # five probe periods: none may come (an absence is not an event)
        assert len(lines(tmp_path / "probed")) == probed
    finally:
        (tmp_path / "release").touch()
