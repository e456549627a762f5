"""Routing with real workers: the innermost ``squall: {task_queue: ...}`` wins (the
experiment, the steady-state hypothesis, a background activity, a group's member), each
activity records the pid of the worker that ran it; the workers advertise their drivers
to Temporal; a hypothesis, or a whole experiment, routed to a queue no worker polls
fails clearly within its schedule-to-start timeout instead of waiting."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import queue_name, write_experiment

pytestmark = pytest.mark.slow

#: a worker's pid is a number in this range
PID = {"type": "range", "range": [1, 2**22]}


def _getpid(name: str, kind: str = "action", **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "provider": {"type": "python", "module": "os", "func": "getpid"},
        **extra,
    }


def _on(queue: str) -> dict[str, Any]:
    return {"squall": {"task_queue": queue}}


def _run(bed: Bed, tmp_path: Path, experiment: Path) -> tuple[int, dict[str, Any], str]:
    journal = tmp_path / "journal.json"
    began = time.monotonic()
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
    )
    took = time.monotonic() - began
    assert took < 40, f"took {took:.0f} s: {done.stderr}"
    document = json.loads(journal.read_text()) if journal.exists() else {}
    return done.returncode, document, done.stderr


def test_the_innermost_queue_wins_and_each_activity_runs_on_its_queue_s_worker(
    bed: Bed, tmp_path: Path
) -> None:
    experiment = write_experiment(
        tmp_path / "innermost.json",
        [
            _getpid("experiment-s-queue"),
            _getpid("background-on-main", background=True, **_on("main")),
            {
                "type": "parallel",
                "name": "grp",
                "activities": [_getpid("group-default"), _getpid("member-on-main", **_on("main"))],
            },
        ],
        [_getpid("undo-default"), _getpid("undo-on-main", **_on("main"))],
        squall={"task_queue": "b"},
        **{
            "steady-state-hypothesis": {
                "title": "the hypothesis on main",
                **_on("main"),
                "probes": [_getpid("hypothesis-pid", "probe", tolerance=PID)],
            }
        },
    )
    code, journal, stderr = _run(bed, tmp_path, experiment)
    assert code == 0, stderr
    main, b = (w.pid for w in bed.workers[:2])
    ran = {e["activity"]["name"]: e["output"] for e in journal["run"] + journal["rollbacks"]}
    for probe in journal["steady_states"]["before"]["probes"]:
        ran[f"before {probe['activity']['name']}"] = probe["output"]
    for probe in journal["steady_states"]["after"]["probes"]:
        ran[f"after {probe['activity']['name']}"] = probe["output"]
    assert ran == {
        "experiment-s-queue": b,
        "background-on-main": main,
        "group-default": b,
        "member-on-main": main,
        "undo-default": b,
        "undo-on-main": main,
        "before hypothesis-pid": main,
        "after hypothesis-pid": main,
    }


def test_workers_advertise_their_queue_and_drivers(bed: Bed) -> None:
    described = bed.server.cli("task-queue", "describe", "--task-queue", "b", "-o", "json")
    assert described.returncode == 0, described.stderr
    text = described.stdout
    b = bed.workers[1]
    assert f"{b.pid}@" in text and " b drivers: " in text
    identities = [i for i in text.split('"') if i.startswith(f"{b.pid}@")]
    assert identities, text
    drivers = identities[0].split("drivers: ", 1)[1].split(",")
    assert {"host", "network", "security"} <= set(drivers), identities


def test_a_hypothesis_routed_to_a_queue_without_worker_fails_within_its_timeout(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    nobody = queue_name(request)
    experiment = write_experiment(
        tmp_path / "hypothesis-nowhere.json",
        [_getpid("never-runs")],
        squall={"schedule_to_start": 2},
        **{
            "steady-state-hypothesis": {
                "title": "checked nowhere",
                **_on(nobody),
                "probes": [_getpid("pid", "probe", tolerance=PID)],
            }
        },
    )
    code, journal, stderr = _run(bed, tmp_path, experiment)
    assert code == 4, stderr  # the steady state was not met before the method: nothing ran
    assert journal["squall"]["outcome"] == "not-run", journal["squall"]
    assert journal["run"] == []
    reason = journal["steady_states"]["before"]["probes"][0]["exception"][0]
    assert f"no worker of task queue {json.dumps(nobody)}" in reason
    assert f"squall worker --task-queue {nobody}" in stderr


def test_an_experiment_routed_to_a_queue_without_worker_is_ended_not_left_waiting(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    nobody = queue_name(request)
    experiment = write_experiment(
        tmp_path / "experiment-nowhere.json",
        [_getpid("never-runs")],
        squall={"task_queue": nobody, "schedule_to_start": 2},
    )
    code, _, stderr = _run(bed, tmp_path, experiment)
    assert code == 3, stderr  # it could not run (docs/scale-out.md)
    assert f"no worker took the run from task queue {json.dumps(nobody)}" in stderr
    assert "nothing ran" in stderr and "Traceback" not in stderr
    listed = bed.server.cli("workflow", "list", "--query", f"TaskQueue='{nobody}'", "-o", "json")
    (workflow,) = json.loads(listed.stdout)
    assert workflow["status"] in ("WORKFLOW_EXECUTION_STATUS_TERMINATED", 5), workflow
