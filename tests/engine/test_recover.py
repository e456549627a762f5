"""A run killed with SIGKILL at any point can be finished with ``squall recover``: the
rollbacks its strategy owes are played, each finished one never twice."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import documented_line, shape_line, start_run

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
    assert result.code == 2 and "nothing to recover" in result.stderr


def _signalled_during_rollbacks(tmp_path: Path, *signals: signal.Signals) -> tuple[Any, Path, Path]:
    """A run whose ``slow-undo`` rollback (``rollback_sleep`` seconds) receives
    ``signals`` (0.2 s apart) after ``undo-1`` finished."""
    proc, journal, log = start_run(
        tmp_path, "recover.json", *ZERO[:4], "--var", "rollback_sleep:int=2", marker="undo-1"
    )
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(0.2)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    return stderr, journal, log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_rollbacks_leaves_the_rest_owed(
    squall: Any, tmp_path: Path, sig: signal.Signals
) -> None:
    """The rollback that runs finishes; the rest are owed, not lost: the stream is kept,
    and ``recover`` plays them (before, the stream was removed: "nothing to do")."""
    stderr, journal, log = _signalled_during_rollbacks(tmp_path, sig)
    data = json.loads(journal.read_text())
    assert [(r["activity"]["name"], r["status"]) for r in data["rollbacks"]] == [
        ("undo-1", "succeeded"),
        ("slow-undo", "succeeded"),  # it was let finish
    ]
    assert data["status"] == "interrupted"
    assert any('"undo-2"' in r and "owed" in r for r in data["squall"]["reasons"])
    verdict = next(line for line in stderr.splitlines() if "INTERRUPTED" in line)
    if sig is signal.SIGINT:  # the line docs/recovery.md shows
        documented = documented_line(
            "recovery.md",
            "squall: INTERRUPTED (exit 130): interrupted by SIGINT (Ctrl-C); 1 rollback",
        )
        assert shape_line(verdict) == documented
    done = recover(squall, journal, log)
    assert done.code == 0, done.stderr
    assert [line for line in lines(log) if line.startswith("undo")] == ["undo-1", "undo-2"]
    again = recover(squall, journal, log)
    assert again.code == 2 and "nothing to do" in again.stderr


def test_a_second_signal_stops_the_running_rollback_which_stays_owed(
    squall: Any, tmp_path: Path
) -> None:
    _, journal, log = _signalled_during_rollbacks(tmp_path, signal.SIGTERM, signal.SIGTERM)
    data = json.loads(journal.read_text())
    stopped = data["rollbacks"][-1]
    assert stopped["activity"]["name"] == "slow-undo" and stopped["status"] == "failed"
    assert stopped["squall"]["interrupted"] is True
    done = recover(squall, journal, log)
    assert done.code == 0, done.stderr
    recovered = json.loads(journal.read_text())["rollbacks"]
    assert [r["activity"]["name"] for r in recovered] == [
        "undo-1",
        "slow-undo",  # stopped half-way by the second signal
        "slow-undo",  # played again by recover
        "undo-2",
    ]
    assert [line for line in lines(log) if line.startswith("undo")] == ["undo-1", "undo-2"]
