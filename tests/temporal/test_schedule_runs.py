"""A schedule on a real dev server, with a real ``squall worker``: it fires at least
twice, each fire a normal run (its own run id, a journal, a record in the worker's
history); pause stops the fires; delete removes the schedule."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES, subprocess_env
from sqworker import SquallWorker
from temporal import TemporalServer


def _wait(predicate: Any, timeout: float, what: Any) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what()}")


@pytest.fixture
def worker(temporal_server: TemporalServer, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real ``squall worker`` on a task queue of its own, recording into its own history
    and journal directory (tests/support/sqworker.py: stopped afterwards, no orphan)."""
    queue = f"schedules-{os.getpid()}-{tmp_path.name}"
    journals, history = tmp_path / "journals", tmp_path / "worker-history.sqlite3"
    env = subprocess_env(**temporal_server.env(), SQUALL_HISTORY=str(history))
    home = tmp_path / "worker"  # not the directory `schedule add` runs in (tmp_path)
    home.mkdir()
    with SquallWorker(
        temporal_server.address,
        queue,
        tmp_path / "worker.log",
        env=env,
        cwd=home,
        args=("--journal-dir", str(journals)),
    ) as running:
        yield {"queue": queue, "journals": journals, "history": history, "log": running.log}


def _fired(server: TemporalServer, name: str) -> list[str]:
    """The workflow ids Temporal started for the schedule ``name``."""
    done = server.cli(
        "workflow", "list", "--query", f'TemporalScheduledById="{name}"', "-o", "json"
    )
    assert done.returncode == 0, done.stderr
    return sorted(entry["execution"]["workflowId"] for entry in json.loads(done.stdout or "[]"))


def _described(squall: Any, env: dict[str, str], name: str) -> dict[str, Any]:
    """The schedule as ``schedule list --json`` shows it (read from the schedule itself)."""
    listed = squall("schedule", "list", "--json", env=env)
    assert listed.code == 0, listed.stderr
    (entry,) = [s for s in json.loads(listed.stdout) if s["name"] == name]
    return entry


def _journals(directory: Path) -> list[dict[str, Any]]:
    if not directory.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.journal.json"))]


@pytest.mark.slow
def test_a_schedule_fires_normal_runs_pause_stops_it_delete_removes_it(
    squall: Any, temporal_server: TemporalServer, worker: dict[str, Any], tmp_path: Path
) -> None:
    name = f"every-second-{os.getpid()}"
    env = {**temporal_server.env(), "SQUALL_TEMPORAL_TASK_QUEUE": worker["queue"]}
    shutil.copy(EXAMPLES / "trivial.json", tmp_path / "trivial.json")
    added = squall("schedule", "add", name, "trivial.json", "--every", "1s", env=env)
    assert added.code == 0, added.stderr
    try:
        journals = _wait(
            lambda: (j := _journals(worker["journals"])) and len(j) >= 2 and j,
            60,
            lambda: (
                f"two journals; fired: {_fired(temporal_server, name)}; worker:\n{worker['log']()}"
            ),
        )
        run_ids = [j["squall"]["run_id"] for j in journals]
        assert len(set(run_ids)) == len(run_ids) and all(r.startswith(f"{name}-") for r in run_ids)
        assert all(j["status"] == "completed" for j in journals)
        _wait(
            lambda: set(run_ids) <= set(_fired(temporal_server, name)),
            10,
            lambda: f"{run_ids} among the schedule's workflows",
        )
        listed = squall("runs", "list", "--json", env={"SQUALL_HISTORY": str(worker["history"])})
        assert listed.code == 0, listed.stderr
        in_history = {r["run_id"]: r for r in json.loads(listed.stdout)}
        assert set(run_ids) <= set(in_history)
        # given relative to where `schedule add` ran, named absolutely (the worker runs
        # elsewhere): history.md's promise for every source that is a file
        assert {in_history[r]["source"] for r in run_ids} == {str(tmp_path / "trivial.json")}
        assert _described(squall, env, name)["experiment"] == str(tmp_path / "trivial.json")

        paused = squall("schedule", "pause", name, env=env)
        assert paused.code == 0, paused.stderr
        before = _described(squall, env, name)
        assert before["state"] == "paused" and before["runs"] >= 2 and before["next_run"] is None
        time.sleep(2.5)  # two intervals and more: a paused schedule must not fire in them
        after = _wait(
            lambda: (d := _described(squall, env, name))["last_outcome"] != "running" and d,
            30,
            lambda: "the last run to end",
        )
        assert after["runs"] == before["runs"] and after["last_outcome"] == "held"
        assert after["last_run_id"] in run_ids or after["last_run_id"].startswith(f"{name}-")
    finally:
        deleted = squall("schedule", "delete", name, env=env)
    assert deleted.code == 0, deleted.stderr
    listed = json.loads(squall("schedule", "list", "--json", env=env).stdout)
    assert name not in [s["name"] for s in listed]
    assert squall("schedule", "delete", name, env=env).code == 2


@pytest.mark.slow
def test_a_fire_its_worker_cannot_run_shows_in_the_list(
    squall: Any, temporal_server: TemporalServer, worker: dict[str, Any], tmp_path: Path
) -> None:
    """The worker finds a module it cannot import: nothing runs; `schedule list` shows
    it ("not valid (1 problem)"), and the worker's run history records the fire as
    ``invalid`` (exit 2) with the problem as its reason (no journal file)."""
    experiment = tmp_path / "needs-a-module.json"
    experiment.write_text(
        json.dumps(
            {
                "title": "needs a module no worker has",
                "description": "d",
                "method": [
                    {
                        "type": "action",
                        "name": "nowhere",
                        "provider": {"type": "python", "module": "no_such_module_xyz", "func": "f"},
                    }
                ],
            }
        )
    )
    name = f"invalid-{os.getpid()}"
    env = {**temporal_server.env(), "SQUALL_TEMPORAL_TASK_QUEUE": worker["queue"]}
    added = squall("schedule", "add", name, str(experiment), "--every", "1h", env=env)
    assert added.code == 0, added.stderr
    try:
        fired = temporal_server.cli("schedule", "trigger", "--schedule-id", name)
        assert fired.returncode == 0, fired.stderr
        entry = _wait(
            lambda: (
                (d := _described(squall, env, name))["last_outcome"] not in (None, "running") and d
            ),
            60,
            lambda: f"the triggered run to end; worker:\n{worker['log']()}",
        )
        assert entry["last_outcome"] == "not valid (1 problem)", entry
        assert "not started" in worker["log"]() or "no_such_module_xyz" in worker["log"]()
        assert _journals(worker["journals"]) == []
        history = {"SQUALL_HISTORY": str(worker["history"])}
        listed = json.loads(squall("runs", "list", "--json", env=history).stdout)
        (record,) = [r for r in listed if r["run_id"] == entry["last_run_id"]]
        assert (record["state"], record["exit_code"]) == ("invalid", 2), record
        assert record["title"] == "needs a module no worker has"
        shown = squall("runs", "show", entry["last_run_id"], env=history)
        assert shown.code == 0, shown.stderr
        assert "state:      invalid" in shown.stdout
        assert "why:        /method/0/provider/module:" in shown.stdout
        assert "no_such_module_xyz" in shown.stdout
    finally:
        squall("schedule", "delete", name, env=env)
