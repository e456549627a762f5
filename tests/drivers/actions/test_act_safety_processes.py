"""Actions signal only processes squall started, a trusted pidfile names, or the user listed
(issue 10, item 19). Every process here is started by the test; the "unrelated" one is
orphaned on purpose (its parent exits), so it is not a descendant of squall.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from squall import ActivityFailed
from squall.drivers._safety import process_start, process_state
from squall.drivers._state import StateStore
from squall.drivers.host.processes import kill_or_pause_process, resume_or_restart_process

ORPHAN = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    print(os.getpid(), flush=True)
    time.sleep(60)
"""


@pytest.fixture
def orphan() -> Iterator[int]:
    """A process the test started but whose parent exited: not squall's descendant."""
    marker = f"squall-orphan-{uuid.uuid4().hex[:8]}"
    launcher = subprocess.Popen(
        [sys.executable, "-c", ORPHAN, marker], stdout=subprocess.PIPE, text=True
    )
    assert launcher.stdout is not None
    pid = int(launcher.stdout.readline())
    launcher.wait(10)
    try:
        yield pid
    finally:
        for sig in (signal.SIGCONT, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break


def running(pid: int) -> bool:
    return process_state(pid) not in (None, "Z", "T", "t")


def test_sigstop_of_an_unrelated_process_is_refused(orphan: int) -> None:
    with pytest.raises(ActivityFailed, match="squall did not start it"):
        kill_or_pause_process(orphan)
    with pytest.raises(ActivityFailed, match="squall did not start it"):
        kill_or_pause_process(orphan, signal_name="SIGKILL")
    time.sleep(0.05)
    assert running(orphan)


def test_a_process_the_user_listed_may_be_signalled(
    orphan: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = kill_or_pause_process(orphan, configuration={"squall_allowed_pids": [orphan]})
    assert result["state"] == "stopped" and not running(orphan)
    assert resume_or_restart_process(orphan)["action"] == "resumed"
    monkeypatch.setenv("SQUALL_ALLOWED_PIDS", f"12345, {orphan}")
    assert kill_or_pause_process(orphan)["state"] == "stopped"
    assert resume_or_restart_process(orphan)["action"] == "resumed"
    assert running(orphan)


def test_a_pidfile_vouches_only_from_an_allowed_directory_and_when_fresh(
    orphan: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv("SQUALL_ALLOWED_PATHS", str(allowed))
    outside = tmp_path / "orphan.pid"
    outside.write_text(f"{orphan}\n")
    with pytest.raises(ActivityFailed, match="pidfile not trusted"):
        kill_or_pause_process(pidfile=str(outside))
    stale = allowed / "stale.pid"
    stale.write_text(f"{orphan}\n")
    an_hour_ago = time.time() - 3600  # written before the process started: a recycled pid
    os.utime(stale, (an_hour_ago, an_hour_ago))
    with pytest.raises(ActivityFailed, match="stale"):
        kill_or_pause_process(pidfile=str(stale))
    assert running(orphan)
    fresh = allowed / "orphan.pid"
    fresh.write_text(f"{orphan}\n")
    assert kill_or_pause_process(pidfile=str(fresh))["state"] == "stopped"
    assert resume_or_restart_process(pidfile=str(fresh))["action"] == "resumed"
    assert running(orphan)


def test_a_child_of_squall_may_be_signalled(sleeper: subprocess.Popen[bytes]) -> None:
    assert kill_or_pause_process(sleeper.pid)["state"] == "stopped"
    assert resume_or_restart_process(sleeper.pid)["action"] == "resumed"


def test_the_rollback_never_resumes_a_different_process_with_the_same_pid(
    sleeper: subprocess.Popen[bytes], squall_env: dict[str, str]
) -> None:
    """The recorded start time stands for "the same process": a recycled pid is left alone
    (the recorded command is started again instead)."""
    start = process_start(sleeper.pid)
    assert start is not None and process_start(sleeper.pid) == start
    kill_or_pause_process(sleeper.pid)
    store = StateStore(Path(squall_env["state_dir"]))
    (record,) = store.records()
    record.data["start_ticks"] = start - 1  # as if the pid now belonged to another process
    store.update(record)
    result = resume_or_restart_process(sleeper.pid)
    try:
        assert result["action"] == "restarted" and result["pid"] != sleeper.pid
        assert process_state(sleeper.pid) in ("T", "t"), "the other process got no SIGCONT"
    finally:
        os.kill(int(result["pid"]), signal.SIGKILL)
    assert json.dumps(result)  # the journal can hold it
