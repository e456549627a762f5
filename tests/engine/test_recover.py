"""A run killed with SIGKILL at any point can be finished with ``squall recover``: the
rollbacks its strategy owes are played, each finished one never twice."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import start_run

ZERO = ("--var", "gate_sleep:int=0", "--var", "method_sleep:int=0", "--var", "rollback_sleep:int=0")


def lines(log: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()] if log.exists() else []


def kill_when(tmp_path: Path, marker: str, where: str, *extra: str) -> tuple[Path, Path]:
    proc, journal, log = start_run(
        tmp_path, "recover.json", *ZERO, "--var", f"{where}:int=30", *extra, marker=marker
    )
    time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert not journal.exists()
    return journal, log


def recover(squall: Any, journal: Path, log: Path) -> Any:
    return squall("recover", str(journal), "--var", f"log={log}", *ZERO)


@pytest.mark.parametrize(
    ("marker", "where", "rollbacks", "exit_code"),
    [
        ("gate", "gate_sleep", [], 0),  # killed before the method: nothing injected, nothing owed
        ("method-started", "method_sleep", ["undo-1", "undo-2"], 0),
        ("undo-1", "rollback_sleep", ["undo-1", "undo-2"], 0),  # undo-1 had finished: not again
    ],
    ids=["before-method", "during-method", "during-rollbacks"],
)
def test_kill_then_recover(
    squall: Any, tmp_path: Path, marker: str, where: str, rollbacks: list[str], exit_code: int
) -> None:
    journal, log = kill_when(tmp_path, marker, where)
    result = recover(squall, journal, log)
    assert result.code == exit_code, result.stderr
    assert [line for line in lines(log) if line.startswith("undo")] == rollbacks
    data = json.loads(journal.read_text())
    assert data["status"] == "interrupted"
    assert data["interruption"]["kind"] == "crash"
    assert data["squall"]["outcome"] == "interrupted"
    assert all("status" in entry for entry in data["run"] + data["rollbacks"])
    assert not (tmp_path / "journal.json.events.jsonl").exists()
    again = recover(squall, journal, log)
    assert again.code == 2 and "nothing to do" in again.stderr
    assert [line for line in lines(log) if line.startswith("undo")] == rollbacks, "exactly once"


def test_the_running_activity_is_recorded_as_failed(squall: Any, tmp_path: Path) -> None:
    journal, log = kill_when(tmp_path, "method-started", "method_sleep")
    assert recover(squall, journal, log).code == 0
    runs = json.loads(journal.read_text())["run"]
    assert [(r["activity"]["name"], r["status"]) for r in runs] == [
        ("inject", "succeeded"),
        ("hold", "failed"),
    ]
    assert "still running when the run stopped" in runs[1]["exception"][0]


def test_never_strategy_owes_nothing(squall: Any, tmp_path: Path) -> None:
    journal, log = kill_when(
        tmp_path, "method-started", "method_sleep", "--rollback-strategy", "never"
    )
    assert recover(squall, journal, log).code == 0
    assert not any(line.startswith("undo") for line in lines(log))


def test_nothing_to_recover(squall: Any, tmp_path: Path) -> None:
    result = squall("recover", str(tmp_path / "nope.json"))
    assert result.code == 2 and "no event stream" in result.stderr
