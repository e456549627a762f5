"""Fixtures for the action tests: a private state store and run id per test, a reloadable
HTTPS target (``target_app.py``) with real TLS material, and TLS/HTTP client helpers.

The test's temporary directory is the allowed directory of the path allow-list
(``SQUALL_ALLOWED_PATHS``), and the demo's default state directory is moved into it
(``SQUALL_DEMO_DIR``), so nothing outside it can be touched. Every test ends with the
state store empty (each action rolled back) and no process left
whose command line carries the test's run id.
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
from act_harness import HERE, Target, write_target_files

from squall.drivers._safety import process_cmdline


def _pids_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def squall_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private state directory and run id; checks for leftovers after the test."""
    state = tmp_path / "state"
    run = f"test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("SQUALL_STATE_DIR", str(state))
    monkeypatch.setenv("SQUALL_RUN_ID", run)
    monkeypatch.setenv("SQUALL_ALLOWED_PATHS", str(tmp_path))
    monkeypatch.setenv("SQUALL_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.delenv("SQUALL_ALLOWED_PIDS", raising=False)
    yield {"state_dir": str(state), "run_id": run}
    leaked = _pids_with(run)
    for pid in leaked:
        os.kill(pid, signal.SIGKILL)
    records = sorted(p.name for p in state.glob("*.json")) if state.exists() else []
    assert not leaked, f"processes left running: {leaked}"
    assert not records, f"state records left behind: {records}"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    """A reloadable HTTPS target on 127.0.0.1, stopped (and reaped) after the test."""
    directory = tmp_path / "target"
    directory.mkdir()
    files = write_target_files(directory)
    ready = directory / "ready.json"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "target_app.py"), str(files["config"]), str(ready)],
        stdin=subprocess.DEVNULL,
    )
    target = Target(
        directory,
        files["config"],
        directory / "app.pid",
        files["ca_cert"],
        files["ca_key"],
        process,
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert process.poll() is None, "target_app exited"
            assert time.monotonic() < deadline, "target_app did not start"
            time.sleep(0.02)
        target.port = json.loads(ready.read_text())["port"]
        target.pidfile.write_text(f"{process.pid}\n")
        target.originals = {
            str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        yield target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A harmless child process whose command line carries a marker, given to the test
    once /proc shows that command line: Popen returns as soon as the exec is under way
    (vfork), and until the kernel has set the new program's arguments the command line
    reads as empty (seen under load: 'its command line '' does not contain ...')."""
    marker = f"squall-test-sleeper-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; time.sleep(60)", marker],
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while marker not in (process_cmdline(process.pid) or ""):
            assert process.poll() is None and time.monotonic() < deadline, "no sleeper"
            time.sleep(0.005)
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        process.wait(5)
