"""kill_or_pause_process / resume_or_restart_process on real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from squall import ActivityFailed
from squall.drivers._safety import process_cmdline, process_state
from squall.drivers.host.processes import kill_or_pause_process, resume_or_restart_process


def _marker(process: subprocess.Popen[bytes]) -> str:
    return str(process.args[-1])  # type: ignore[index]


def test_pause_then_resume(sleeper: subprocess.Popen[bytes], squall_env: dict[str, str]) -> None:
    result = kill_or_pause_process(sleeper.pid, process_name=_marker(sleeper))
    assert result == {
        "pid": sleeper.pid,
        "signal": "SIGSTOP",
        "state": "stopped",
        "run_id": squall_env["run_id"],
        "state_key": result["state_key"],
    }
    assert process_state(sleeper.pid) == "T"
    undone = resume_or_restart_process(sleeper.pid)
    assert undone["action"] == "resumed"
    assert process_state(sleeper.pid) in ("S", "R")
    assert resume_or_restart_process(sleeper.pid)["restored"] is False


def test_kill_then_restart_with_recorded_command(tmp_path: Path) -> None:
    marker = f"squall-test-restart-{uuid.uuid4().hex[:8]}"
    pidfile = tmp_path / "svc.pid"
    code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
    command = [sys.executable, "-c", code, str(pidfile), marker]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    new_pid = None
    try:
        while not pidfile.exists() or not pidfile.read_text():
            time.sleep(0.01)
        result = kill_or_pause_process(
            pidfile=str(pidfile), signal_name="KILL", process_name=marker, restart_cwd=str(tmp_path)
        )
        assert result["state"] == "gone"
        process.wait(5)
        assert process.returncode == -signal.SIGKILL

        pidfile.unlink()
        undone = resume_or_restart_process(pidfile=str(pidfile))
        assert undone["action"] == "restarted"
        new_pid = undone["pid"]
        assert undone["command"] == command
        assert marker in (process_cmdline(new_pid) or "")
        assert os.readlink(f"/proc/{new_pid}/cwd") == str(tmp_path)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)
        if new_pid:
            os.kill(new_pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while process_state(new_pid) not in (None, "Z") and time.monotonic() < deadline:
                time.sleep(0.01)


def test_rollback_does_not_restart_when_something_else_did(
    sleeper: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    pidfile = tmp_path / "s.pid"
    pidfile.write_text(str(sleeper.pid))
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "x"])
    try:
        kill_or_pause_process(pidfile=str(pidfile), signal_name="SIGTERM")
        sleeper.wait(5)
        pidfile.write_text(str(other.pid))  # a supervisor restarted it
        undone = resume_or_restart_process(pidfile=str(pidfile))
        assert undone == {**undone, "action": "already running", "pid": other.pid}
    finally:
        other.kill()
        other.wait(5)


def test_refusals_leave_nothing_behind(sleeper: subprocess.Popen[bytes], tmp_path: Path) -> None:
    with pytest.raises(ActivityFailed, match="init"):
        kill_or_pause_process(1, signal_name="SIGKILL")
    with pytest.raises(ActivityFailed, match="own process"):
        kill_or_pause_process(os.getpid())
    with pytest.raises(ActivityFailed, match="does not contain"):
        kill_or_pause_process(sleeper.pid, process_name="postgres")
    with pytest.raises(ActivityFailed, match="signal_name"):
        kill_or_pause_process(sleeper.pid, signal_name="SIGUSR1")
    with pytest.raises(ActivityFailed, match="name the process"):
        kill_or_pause_process()
    with pytest.raises(ActivityFailed, match=r"missing\.pid does not exist"):
        kill_or_pause_process(pidfile=str(tmp_path / "missing.pid"))
    sleeper.kill()
    sleeper.wait(5)
    with pytest.raises(ActivityFailed, match="no running process"):
        kill_or_pause_process(sleeper.pid)


def test_sigterm_ignored_means_not_injected() -> None:
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "stubborn"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        with pytest.raises(ActivityFailed, match="not injected"):
            kill_or_pause_process(process.pid, signal_name="SIGTERM", wait_seconds=0.3)
        assert process.poll() is None
    finally:
        process.kill()
        process.wait(5)
        if process.stdout:
            process.stdout.close()
