"""``isolation: "process"``: a python activity in a child process that a timeout kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES, start_run

FLOW = EXAMPLES / "flow"


def gone(pid: int) -> bool:
    """True when the process is dead: no such pid, or a zombie (dead, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_hung_isolated_function_is_killed_and_the_run_goes_on(
    squall: Any, tmp_path: Path
) -> None:
    pidfile, log = tmp_path / "pids", tmp_path / "log.txt"
    started = time.monotonic()
    result = squall(
        "run", str(FLOW / "isolation.json"), "--var", f"pidfile={pidfile}", "--var", f"log={log}"
    )
    assert time.monotonic() - started < 20
    assert result.code == 3, result.stderr
    child, grandchild = (int(p) for p in pidfile.read_text().split())
    assert child != os.getpid()
    assert wait_gone(child), f"the isolated process {child} is still running"
    assert wait_gone(grandchild), f"the process {grandchild} it started is still running"
    hang, where, raises = result.journal["run"]
    assert hang["status"] == "failed"
    assert hang["duration"] < 5
    assert "ActivityTimeout" in hang["exception"][0]
    assert f"pid {child}" in hang["exception"][0]
    assert "undo" in log.read_text(), "the rollback was played"
    # the next activity ran, in a process of its own, with configuration and secrets
    assert where["status"] == "succeeded"
    assert where["output"]["pid"] not in (child, os.getpid())
    assert where["output"]["configuration"]["region"] == "eu-west"
    assert where["output"]["secrets"] == {"token": "***"}  # it got them; the journal masks them
    # an exception comes back as in-process: type, message and traceback text
    assert raises["status"] == "failed"
    assert raises["exception"][0].startswith("Traceback")
    assert "sqtest.py" in "".join(raises["exception"])
    assert raises["exception"][-1] == "RuntimeError: no permission\n"
    assert "RuntimeError: no permission" in result.stderr


@pytest.mark.parametrize(
    ("experiment", "signum"),
    [("isolation-interrupt.json", signal.SIGINT), ("isolation-background.json", signal.SIGTERM)],
    ids=["foreground-sigint", "background-sigterm"],
)
def test_an_interrupt_kills_the_isolated_process(
    tmp_path: Path, experiment: str, signum: signal.Signals
) -> None:
    (tmp_path / "s.yaml").write_text("{}\n")
    pidfile = tmp_path / "pids"
    proc, journal, _ = start_run(tmp_path, f"flow/{experiment}", "--var", f"pidfile={pidfile}")
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    child, grandchild = (int(p) for p in pidfile.read_text().split())
    started = time.monotonic()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    assert time.monotonic() - started < 5, "the interrupt did not wait for the function"
    assert proc.returncode == 130, err
    assert wait_gone(child) and wait_gone(grandchild)
    assert "interrupted" in journal.read_text()


def test_isolation_is_only_for_python_activities(squall: Any) -> None:
    result = squall(
        "validate", str(EXAMPLES / "schema" / "invalid-isolation-process-provider.json")
    )
    assert result.code == 2
    assert "/method/0/isolation" in result.stderr
    assert "applies to python activities" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_cancelled_parallel_group_kills_its_isolated_activity(
    squall: Any, tmp_path: Path
) -> None:
    pidfile, log = tmp_path / "pids", tmp_path / "log.txt"
    started = time.monotonic()
    result = squall(
        "run", str(FLOW / "isolation-group.json"), "--var", f"pidfile={pidfile}", "--var",
        f"log={log}",
    )  # fmt: skip
    assert time.monotonic() - started < 20
    assert result.code == 3, result.stderr
    child, grandchild = (int(p) for p in pidfile.read_text().split())
    assert wait_gone(child) and wait_gone(grandchild)
    hang, fails = result.journal["run"]
    assert hang["status"] == "failed"
    assert hang["squall"]["cancelled"] is True
    assert "was cancelled; its process was killed" in hang["exception"][0]
    assert fails["squall"]["on_failure"] == "abort"
    assert result.journal["status"] == "aborted"
    assert log.read_text().split()[1::2] == ["undo"], "the method stopped after the group"


def test_a_run_without_isolation_never_imports_it() -> None:
    code = (
        "import sys; from squall.api import load_experiment, run_experiment; "
        f"run_experiment(load_experiment({str(EXAMPLES / 'trivial.json')!r})); "
        "print('squall.providers.isolation' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr
