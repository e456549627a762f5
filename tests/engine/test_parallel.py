"""Parallel groups: real concurrency, join rules, cancellation, signals (real processes)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from squall import run_experiment
from squall.engine import RunOptions
from squall.experiment.model import DryMode
from squall.journal.store import read_journal
from squall.plan import PlanOptions

from sqharness import EXAMPLES, ROOT, run_streams, subprocess_env
from sqtest import pid_alive


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_groups_run_together_then_first_failure_cancels(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    started = time.monotonic()
    run_experiment(EXAMPLES / "parallel.json", run_options=RunOptions(journal_path=path))
    assert time.monotonic() - started < 20  # the 30 s activities were cut short
    doc = read_journal(path)
    run = {e["activity"]["name"]: e for e in doc["run"]}
    load = [run[n] for n in ("sleep-a", "sleep-b", "sleep-py")]
    for one in load:  # every interval overlaps every other: they ran at the same time
        assert all(at(one["start"]) < at(other["end"]) for other in load)
        assert one["squall"]["group"] == "load" and one["status"] == "succeeded"
    # entries keep the declared order
    assert [e["activity"]["name"] for e in doc["run"]] == [
        "sleep-a", "sleep-b", "sleep-py", "long-process", "long-python", "fails", "after-groups"
    ]  # fmt: skip
    assert "cancelled and killed" in run["long-process"]["exception"][0]
    assert "abandoned" in run["long-python"]["exception"][0]
    assert run["after-groups"]["output"] == 1.5  # the method went on; outputs of a group
    groups = {g["name"]: g for g in doc["squall"]["groups"]}
    assert groups["load"]["status"] == "succeeded"
    stop = groups["stop-early"]
    assert (stop["status"], stop["failed"]) == ("failed", ["fails"])
    assert sorted(stop["cancelled"]) == ["long-process", "long-python"]
    assert [e["activity"]["name"] for e in doc["rollbacks"]] == ["sleep-a", "undo-py"]
    assert groups["undo"]["phase"] == "rollbacks" and groups["undo"]["status"] == "succeeded"
    assert doc["squall"]["exit_code"] == 3


def start_parallel(tmp_path: Path, hold: float) -> tuple[subprocess.Popen[bytes], Path]:
    """Run parallel.json in a subprocess; return once the first group has started."""
    journal = tmp_path / "journal.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), "run",
         "--journal-path", str(journal), str(EXAMPLES / "parallel.json"),
         "--var", f"hold:float={hold}"],
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while sum(e.read_text().count('"activity-start"') for e in run_streams()) < 3:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, journal


def test_a_signal_stops_the_group_and_kills_its_processes(tmp_path: Path) -> None:
    proc, journal = start_parallel(tmp_path, 30)
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert time.monotonic() - interrupted < 15  # not the 30 s the activities wanted
    doc = json.loads(journal.read_text())
    assert doc["status"] == "interrupted"
    group = doc["squall"]["groups"][0]
    assert (group["name"], group["status"]) == ("load", "interrupted")
    reasons = [e["exception"][0] for e in doc["run"]]
    assert sum("cancelled and killed" in r for r in reasons) == 2  # both sleep processes
    assert len(doc["run"]) == 3  # the next group never started


def test_plan_shows_groups(squall: Any) -> None:
    result = squall("run", "--plan", str(EXAMPLES / "parallel.json"))
    plan = json.loads(result.stdout)
    assert plan["method"][0] == {
        "parallel": "load",
        "join": "all",
        "activities": ["action sleep-a", "action sleep-b", "probe sleep-py"],
    }
    assert plan["method"][1]["join"] == "first-failure"
    assert plan["method"][2] == "probe after-groups [uses outputs of sleep-py]"
    assert plan["rollbacks"][0]["activities"] == ["action sleep-a", "action undo-py"]


def test_killed_inside_a_group_then_recovered_with_outputs(squall: Any, tmp_path: Path) -> None:
    journal, log = tmp_path / "journal.json", tmp_path / "log.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), "run",
         "--journal-path", str(journal), str(EXAMPLES / "recover-outputs.json"),
         "--var", f"log={log}"],
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not (log.exists() and "in-group" in log.read_text()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    result = squall("recover", str(journal), "--var", f"log={log}")
    assert result.code == 0, result.stderr
    doc = json.loads(journal.read_text())
    pid = doc["run"][0]["output"]["pid"]
    assert not pid_alive(pid)  # the rollback killed it, by the pid from the stream
    used = doc["rollbacks"][0]["squall"]["outputs"][0]
    assert (used["expression"], used["value"]) == ("${outputs.start-worker.pid}", pid)
    assert [e["status"] for e in doc["run"]] == ["succeeded", "succeeded", "failed"]
    assert "still running" in doc["run"][2]["exception"][0]
    hold, undo = doc["squall"]["groups"]
    assert (hold["name"], hold["status"]) == ("hold", "unfinished")
    assert (undo["name"], undo["phase"], undo["status"]) == ("undo", "rollbacks", "succeeded")
    assert f"undone {pid}" in log.read_text()  # the rollback group ran both, with outputs


def test_sigusr1_waits_for_the_group(tmp_path: Path) -> None:
    proc, journal = start_parallel(tmp_path, 3)
    proc.send_signal(signal.SIGUSR1)
    assert proc.wait(timeout=30) == 130
    doc = json.loads(journal.read_text())
    assert [e["status"] for e in doc["run"]] == ["succeeded"] * 3  # waited, nothing killed
    assert doc["squall"]["groups"][0]["status"] == "succeeded"


def test_dry_actions_in_groups_are_skipped_and_probes_still_run() -> None:
    started = time.monotonic()
    journal = run_experiment(
        EXAMPLES / "parallel.json", plan_options=PlanOptions(dry=DryMode.ACTIONS)
    )
    assert time.monotonic() - started < 15  # the 30 s actions did not run
    run = {e.name: e for e in journal.run if e is not None}
    assert run["sleep-a"].output is None and run["sleep-a"].squall == {"group": "load"}
    assert run["sleep-py"].output == 1.5
    assert [g.status for g in journal.groups] == ["succeeded"] * 3


def test_each_activity_keeps_its_own_timeout(tmp_path: Path) -> None:
    slow = {"type": "process", "path": "sleep", "arguments": ["20"]}
    quick = {"type": "python", "module": "sqtest", "func": "echo", "arguments": {"value": 1}}
    path = tmp_path / "timeouts.json"
    path.write_text(json.dumps({
        "title": "timeouts", "description": "each activity of a group keeps its timeout",
        "method": [{"type": "parallel", "name": "g", "activities": [
            {"type": "action", "name": "slow", "timeout": 0.5, "provider": slow},
            {"type": "probe", "name": "quick", "provider": quick},
        ]}],
    }))  # fmt: skip
    started = time.monotonic()
    journal = run_experiment(path)
    assert time.monotonic() - started < 10
    slow_run, quick_run = journal.run
    assert slow_run is not None and "0.5" in slow_run.reason
    assert quick_run is not None and quick_run.output == 1
    assert (journal.groups[0].failed, journal.groups[0].cancelled) == (["slow"], [])


def test_the_run_deadline_cancels_a_group_and_the_rollbacks_run(
    squall: Any, tmp_path: Path
) -> None:
    sleep = {"type": "process", "path": "sleep", "arguments": ["30"]}
    note = {"type": "python", "module": "sqtest", "func": "touch",
            "arguments": {"path": str(tmp_path / "undone")}}  # fmt: skip
    path = tmp_path / "deadline.json"
    path.write_text(json.dumps({
        "title": "deadline", "description": "runtime.timeout stops a group",
        "runtime": {"timeout": 1},
        "method": [{"type": "parallel", "name": "g", "activities": [
            {"type": "action", "name": "a", "provider": sleep},
            {"type": "action", "name": "b", "provider": sleep},
        ]}],
        "rollbacks": [{"type": "action", "name": "undo", "provider": note}],
    }))  # fmt: skip
    started = time.monotonic()
    result = squall("run", str(path))
    assert time.monotonic() - started < 15
    assert result.code == 3, result.stderr
    assert result.journal["squall"]["groups"][0]["status"] == "interrupted"
    assert all("cancelled and killed" in e["exception"][0] for e in result.journal["run"])
    assert (tmp_path / "undone").exists()


def test_console_names_the_group(squall: Any) -> None:
    example = str(ROOT / "docs" / "examples" / "parallel-and-outputs.json")
    result = squall("run", example)
    assert result.code == 0, result.stderr
    assert "pause-worker (in parallel group pause-and-watch)" in result.stdout + result.stderr
    result = squall("--log-format", "json", "run", example)
    lines = (result.stdout + result.stderr).splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    grouped = {e["name"]: e.get("group") for e in events if e.get("event") == "activity"}
    assert grouped["load-average"] == "pause-and-watch" and grouped["worker"] is None
