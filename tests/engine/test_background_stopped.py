"""A stopped run's background activities are stopped before its rollbacks play.

Found: when a signal stopped a run, its background activities were abandoned but left
running: a background process injecting a fault (re-applying it in a loop) went on
during the rollbacks, and after them, until squall exited. The rollback undid the
fault, and the injector put it back: 10 injections during a 0.5 s rollback, and one
after it ended. A rollback played that way is a rollback lost.

Now a stop cancels the background activities before the rollbacks, as it cancels a
parallel group's: a process activity is killed (Python code cannot be stopped: it is
given the same grace, then abandoned, as in a parallel group).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sqharness import subprocess_env

INJECTOR = "while true; do echo inject >> log; sleep 0.02; done"
UNDO = "echo ROLLBACK >> log; sleep 0.5; echo ROLLBACK-END >> log"


def _experiment(tmp_path: Path, wait: str) -> None:
    experiment = {
        "title": "a background injector",
        "description": "a fault re-applied in a loop while the method waits",
        "method": [
            {
                "type": "action",
                "name": "injector",
                "background": True,
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", INJECTOR]},
            },
            {
                "type": "action",
                "name": "wait",
                "provider": {"type": "process", "path": "sleep", "arguments": wait},
            },
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "undo",
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", UNDO]},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(
    "wait",
    [
        "30",  # the signal comes during a foreground activity
        "0.1",  # the signal comes while the method waits for its background activities
    ],
)
def test_no_injection_after_the_rollback_started(signum: int, wait: str, tmp_path: Path) -> None:
    """Also found: a signal that came while the method waited for its background
    activities (``Thread.join``) left the thread marked stopped (Python 3.11), so the
    stop saw nothing running and the injector went on."""
    _experiment(tmp_path, wait)
    squall = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json", "--no-history",
         "--rollback-strategy", "always"],
        cwd=tmp_path,
        env=subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    log = tmp_path / "log"
    deadline = time.monotonic() + 30
    enough = 3 if wait == "30" else 40  # 0.1: the foreground activity has ended by then
    while (not log.exists() or log.read_text().count("inject") < enough) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    squall.send_signal(signum)
    _, stderr = squall.communicate(timeout=60)
    assert squall.returncode == 130, stderr
    time.sleep(0.3)  # an injector left running would write again meanwhile
    lines = log.read_text().split()
    assert "ROLLBACK" in lines and "ROLLBACK-END" in lines, (lines, stderr)
    after = lines[lines.index("ROLLBACK") :]
    assert "inject" not in after, f"{after.count('inject')} injections after the rollback began"
    journal = json.loads((tmp_path / "journal.json").read_text())
    injector = next(e for e in journal["run"] if e and e["activity"]["name"] == "injector")
    assert injector["status"] == "failed", injector


def test_a_background_rollback_stopped_by_a_second_signal_stays_owed(tmp_path: Path) -> None:
    """A background rollback that a second signal kills was not played to its end: it
    stays owed, and ``squall recover`` plays it (it must not count as played)."""
    experiment = {
        "title": "a background rollback",
        "description": "stopped half-way by a second signal",
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}],
        "rollbacks": [
            {
                "type": "action",
                "name": "slow-undo",
                "background": True,
                "provider": {"type": "process", "path": "sh",
                             "arguments": ["-c", "sleep 3; echo undone >> log"]},
            },
            {
                "type": "action",
                "name": "mark",
                "provider": {"type": "process", "path": "sh",
                             "arguments": ["-c", "echo started >> log"]},
            },
        ],
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery"))
    squall = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json", "--no-history"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = tmp_path / "log"
    deadline = time.monotonic() + 30
    while (not log.exists() or "started" not in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    squall.send_signal(signal.SIGTERM)  # the first lets the running rollback finish
    time.sleep(0.3)
    squall.send_signal(signal.SIGTERM)  # the second stops it
    _, stderr = squall.communicate(timeout=60)
    assert squall.returncode == 130, stderr
    assert "undone" not in log.read_text()
    run_id = stderr.split("run ", 1)[1].split(")", 1)[0]
    recovered = subprocess.run(
        [sys.executable, "-m", "squall", "recover", run_id, "--no-history"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert recovered.returncode == 0, (stderr, recovered.stderr)
    assert log.read_text().split().count("undone") == 1
