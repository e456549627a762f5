"""The reader of squall's output may go away mid-run: ``squall run e.json 2>&1 | head -1``,
or the terminal closed (SIGHUP and then EIO on every write). The run goes on to its
rollbacks and its journal; what it prints goes nowhere.

Found: the next console line raised BrokenPipeError (or EIO) inside the run, the error
handler's own line raised again, and squall left with exit 1, no journal and its event
stream behind (the rollback was played, but nothing said so); the same with a real
terminal that hung up, after the SIGHUP fix.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqharness import subprocess_env


def _experiment(tmp_path: Path, seconds: float) -> None:
    def shell(name: str, command: str) -> dict[str, object]:
        return {
            "type": "action",
            "name": name,
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", command]},
        }

    experiment = {
        "title": "nobody reads",
        "description": "the reader of the output goes away",
        "method": [
            shell("inject", "echo injected >> marks"),
            shell("more", f"sleep {seconds}"),
            shell("and more", "sleep 0.2"),
        ],
        "rollbacks": [shell("undo", "echo rolled-back >> marks")],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))


def _injected(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    deadline = time.monotonic() + 60
    while not (marks.exists() and "injected" in marks.read_text()):
        assert time.monotonic() < deadline, "never injected"
        time.sleep(0.05)


def test_a_closed_pipe_does_not_stop_the_run(tmp_path: Path) -> None:
    _experiment(tmp_path, 0.5)
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "runs"))
    run = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert run.stdout is not None
    assert b'running "nobody reads"' in run.stdout.readline()  # as `| head -1` reads
    run.stdout.close()
    assert run.wait(timeout=60) == 0
    assert (tmp_path / "marks").read_text().split() == ["injected", "rolled-back"]
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "completed" and len(journal["run"]) == 3
    assert not list((tmp_path / "runs").glob("*.events.jsonl"))  # nothing left to recover


def test_a_terminal_that_hangs_up_still_gets_its_rollbacks_and_journal(tmp_path: Path) -> None:
    _experiment(tmp_path, 30)
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "runs"))
    argv = [sys.executable, "-m", "squall", "run", "e.json", "--rollback-strategy", "always"]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: squall in a real terminal
        os.chdir(tmp_path)
        # as a login shell starts it: a suite run under nohup would hand it SIGHUP ignored
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.execve(sys.executable, argv, env)
    try:
        _injected(tmp_path)
        time.sleep(0.3)  # into 'more'
    finally:
        os.close(terminal)  # the terminal goes away: SIGHUP, then EIO on every write
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        assert time.monotonic() < deadline, "squall did not end after the hang-up"
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 130
    assert (tmp_path / "marks").read_text().split() == ["injected", "rolled-back"]
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["interruption"]["name"] == "SIGHUP"
