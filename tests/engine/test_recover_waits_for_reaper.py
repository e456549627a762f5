"""``squall recover`` does not play a rollback while the dead run's attempt at it may
still be running.

Found (session 8, a kill trial at load 15-20): a process rollback in flight when squall
was killed finished 0.082 s after squall died, and ``squall recover`` played it again.
squall's children die by its reaper, a helper that kills their process groups once
squall's pipe to it closes; under load it ran late, and nothing made ``recover`` wait
for it. A rollback still running from the dead run could then overlap its replay, or
finish after it and put back what the replay did.

Now ``recover`` waits (up to 10 s) until the reapers of dead squall processes have
ended, which is when they have killed every group the dead run left. Here the reaper is
held with SIGSTOP while squall is killed in the middle of a rollback: the recovery must
not start the rollback until the reaper is let go, and the dead run's attempt never
completes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqharness import subprocess_env

UNDO = 'echo "started $PPID" >> log; sleep 4; echo "undone $PPID" >> log'


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(entry))
    return found


def _reaper_of(pid: int) -> int:
    """squall's reaper: its child running ``python -I -S -c ...``."""
    for child in _children(pid):
        with open(f"/proc/{child}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
        if argv[1:4] == [b"-I", b"-S", b"-c"]:
            return child
    raise AssertionError(f"squall {pid} has no reaper")


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_recover_waits_until_the_dead_runs_rollback_is_killed(tmp_path: Path) -> None:
    experiment = {
        "title": "a slow rollback",
        "description": "squall is killed while it plays",
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}],
        "rollbacks": [{"type": "action", "name": "undo",
                       "provider": {"type": "process", "path": "sh", "arguments": ["-c", UNDO]}}],
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery"), SQUALL_HISTORY="off")
    squall = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "e.json"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = tmp_path / "log"
    deadline = time.monotonic() + 30
    while not _lines(log) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _lines(log), "the rollback started"
    reaper = _reaper_of(squall.pid)
    os.kill(reaper, signal.SIGSTOP)  # a reaper running late (a loaded machine)
    try:
        squall.kill()
        _, stderr = squall.communicate(timeout=30)
        run_id = stderr.split("run ", 1)[1].split(")", 1)[0]
        recovery = subprocess.Popen(
            [sys.executable, "-m", "squall", "recover", run_id],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(3)  # the recovery has started by now, and waits for the reaper
        assert len(_lines(log)) == 1, f"the rollback was replayed while in flight: {_lines(log)}"
    finally:
        os.kill(reaper, signal.SIGCONT)
    _, stderr = recovery.communicate(timeout=60)
    assert recovery.returncode == 0, stderr
    time.sleep(4.5)  # the dead run's attempt, had it survived, would have ended by now
    lines = _lines(log)
    assert [line.split()[0] for line in lines] == ["started", "started", "undone"], lines
    assert lines[2].split()[1] == lines[1].split()[1], "the recovery's attempt completed"
