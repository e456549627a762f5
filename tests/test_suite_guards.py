"""The suite's own guards (tests/conftest.py).

- A killed pytest session takes its shared demo with it (tests/support/sqlifeline.py).
  The demo's components are detached on purpose (new session, parent 1): before the
  lifeline, a pytest process killed with SIGKILL ran no teardown and left them running,
  with their state under /tmp/squall-shared-demo-*, for good.
- A session killed with its watcher (a stopped machine) is cleaned up by the next one.
- A stop signal a test leaves ignored (in C, where Python's table does not see it) is put
  back for the next tests, and the test is named in the summary.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from squall.demo.procs import is_alive, terminate

import sqlifeline
from sqharness import subprocess_env

TESTS = Path(__file__).resolve().parent

#: a test that takes the shared demo, says where it is, and waits to be killed
HOLDER = """
import json, os, signal
from pathlib import Path

def test_holds_the_demo(shared_demo):
    found = {"pids": list(shared_demo.pids.values()), "state": str(shared_demo.state_dir)}
    Path(os.environ["SQUALL_TEST_DEMO_INFO"]).write_text(json.dumps(found))
    while True:
        signal.pause()
"""


def _nested_pytest(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """pytest on ``args`` in ``tmp_path``, with the suite's conftest as a plugin (the test
    files are outside tests/)."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest"]
    return subprocess.Popen(
        [*argv, "--rootdir", str(tmp_path), *args],
        cwd=tmp_path,
        env=subprocess_env(
            PYTHONPATH=os.pathsep.join([str(TESTS), subprocess_env()["PYTHONPATH"]]), **env
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_stop_signals,  # not what this worker may have inherited
    )


def _default_stop_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["serial", "xdist-controller"])
def test_a_killed_session_ends_its_shared_demo(tmp_path: Path, workers: list[str]) -> None:
    (tmp_path / "test_holder.py").write_text(HOLDER)
    info = tmp_path / "demo.json"
    session = _nested_pytest(
        tmp_path, *workers, str(tmp_path / "test_holder.py"), SQUALL_TEST_DEMO_INFO=str(info)
    )
    pids: list[int] = []
    try:
        _wait_for(lambda: info.exists() or session.poll() is not None, 180, "no demo")
        assert info.exists(), session.communicate()[0].decode(errors="replace")
        found = json.loads(info.read_text())
        pids, state = found["pids"], Path(found["state"])
        assert pids and all(is_alive(pid) and _parent(pid) != session.pid for pid in pids)
        assert state.is_dir()

        session.send_signal(signal.SIGKILL)  # no teardown, no atexit
        session.communicate()

        grace = sqlifeline.GRACE + 10  # xdist: the worker first, then its demo
        _wait_for(lambda: not any(is_alive(pid) for pid in pids), grace, "demo left running")
        _wait_for(lambda: not state.parent.exists(), 10, f"{state.parent} left behind")
    finally:
        if session.poll() is None:
            session.kill()
            session.communicate()
        terminate([pid for pid in pids if is_alive(pid)])


@pytest.mark.parametrize(
    "env", [None, {"PATH": "/usr/bin:/bin"}], ids=["inherited", "built from scratch"]
)
def test_the_suite_holds_a_lifeline(env: dict[str, str] | None) -> None:
    """This very session marks what it starts: a subprocess carries the mark, also one
    started with an environment of the test's own making (which lacked it before)."""
    mark = sqlifeline.mark()
    assert mark
    shown = subprocess.run(
        [sys.executable, "-c", f"import os; print(os.environ['{sqlifeline.VARIABLE}'])"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert shown.stdout.strip() == mark
    assert env is None or sqlifeline.VARIABLE not in env, "the caller's mapping is left as given"


def _hold_in_new_process() -> None:
    """A new process that holds a lifeline (and so sweeps, as each pytest process does)."""
    code = f"import sys; sys.path.insert(0, {str(TESTS / 'support')!r}); import sqlifeline; "
    subprocess.run([sys.executable, "-c", code + "sqlifeline.hold()"], check=True, timeout=60)


def test_a_session_whose_watcher_died_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    """A record left unlocked (its session and its watcher killed, as a stopped machine
    does) has its processes ended and its directories removed by the next session; a
    locked record (a live session's) is left alone."""
    dead, live = (f"{os.getpid()}-{name}-{os.urandom(4).hex()}" for name in ("dead", "live"))
    left, kept = tmp_path / "left", tmp_path / "kept"
    left.mkdir(), kept.mkdir()
    (sqlifeline.REGISTRY / f"{dead}.paths").write_text(f"{left}\n")
    (sqlifeline.REGISTRY / f"{live}.paths").write_text(f"{kept}\n")
    orphan = subprocess.Popen(
        ["sleep", "600"], env={"PATH": "/usr/bin:/bin", sqlifeline.VARIABLE: dead},
        start_new_session=True,
    )  # fmt: skip
    with (sqlifeline.REGISTRY / f"{live}.paths").open("rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _hold_in_new_process()
            _wait_for(lambda: orphan.poll() is not None, 30, "the dead session's process lives")
            _wait_for(lambda: not left.exists(), 10, "the dead session's directory is left")
            _wait_for(
                lambda: not (sqlifeline.REGISTRY / f"{dead}.paths").exists(), 10, "record left"
            )
            assert kept.is_dir() and (sqlifeline.REGISTRY / f"{live}.paths").exists()
        finally:
            (sqlifeline.REGISTRY / f"{live}.paths").unlink()
            if orphan.poll() is None:
                orphan.kill()
            orphan.wait()


def test_old_leftovers_no_process_uses_are_removed(tmp_path: Path) -> None:
    """Directories of the suite's kinds older than ``LEFTOVER_AGE`` (sessions before the
    records) are removed, unless a process still uses one; a recent one is kept."""
    made = {
        name: Path(tempfile.mkdtemp(prefix=f"squall-test-history-{name}-"))
        for name in ("old", "used", "recent")
    }
    old = time.time() - sqlifeline.LEFTOVER_AGE - 60
    for name in ("old", "used"):
        os.utime(made[name], (old, old))
    user = subprocess.Popen(["sleep", "600"], cwd=made["used"])
    try:
        _hold_in_new_process()
        _wait_for(lambda: not made["old"].exists(), 10, "an old leftover is kept")
        assert made["used"].is_dir() and made["recent"].is_dir()
    finally:
        user.kill()
        user.wait()
        for path in made.values():
            shutil.rmtree(path, ignore_errors=True)


#: the first test ignores SIGQUIT in C, as a C ``system()`` does while it runs; the next
#: one checks that the kernel has SIGQUIT back at its default
IGNORER = """
import ctypes, signal
from pathlib import Path

def quit_ignored():
    status = Path("/proc/self/status").read_text()
    mask = int(status.split("SigIgn:")[1].split()[0], 16)
    return bool(mask >> (signal.SIGQUIT - 1) & 1)

def test_leaves_sigquit_ignored():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.signal.restype = ctypes.c_void_p
    libc.signal(int(signal.SIGQUIT), ctypes.c_void_p(1))  # SIG_IGN, behind Python's back
    assert quit_ignored()
    assert signal.getsignal(signal.SIGQUIT) == signal.SIG_DFL  # Python does not see it

def test_after_it():
    assert not quit_ignored()
"""


def test_a_stop_signal_left_ignored_is_put_back_and_its_test_named(tmp_path: Path) -> None:
    (tmp_path / "test_ignorer.py").write_text(IGNORER)
    session = _nested_pytest(tmp_path, str(tmp_path / "test_ignorer.py"))
    out = session.communicate(timeout=120)[0].decode(errors="replace")
    assert session.returncode == 0, out
    assert "stop signals left ignored" in out
    assert "test_ignorer.py::test_leaves_sigquit_ignored: SIGQUIT" in out
