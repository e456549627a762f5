"""A stop ends a Python background activity before the rollbacks play.

Found (session 8, left documented): a background Python activity (or a parallel group's
Python member) could not be stopped. On SIGTERM it was given 2 s, then abandoned while
still running, and the rollbacks played beside it: an injector re-applying its fault in
a loop wrote 9 times during a 0.5 s rollback. Only ``isolation: "process"`` made it
killable.

Now a Python call made where the engine can cancel it (a background activity, a
parallel group's member, a continuous check) runs in a worker thread that a stop
interrupts: ``squall.errors.Interrupted`` is raised in it (again every 50 ms while it
runs), so Python code stops at its next line. Code blocked in one long C call, or that
swallows the exception, is still abandoned after the grace, now with a warning.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from sqharness import start_in

INJECTOR = """
import time

def inject(path: str, timeout_given: bool = False) -> None:
    while True:
        with open(path, "a") as log:
            log.write("inject\\n")
        time.sleep(0.02)

def stubborn(path: str) -> None:
    while True:
        try:
            with open(path, "a") as log:
                log.write("inject\\n")
            time.sleep(0.02)
        except BaseException:
            pass
"""
UNDO = "echo ROLLBACK >> log; sleep 0.5; echo ROLLBACK-END >> log"


def _run(tmp_path: Path, func: str, member: dict[str, object]) -> tuple[int, str, list[str]]:
    (tmp_path / "injmod.py").write_text(INJECTOR)
    injector = {"type": "action", "name": "injector", **member,
                "provider": {"type": "python", "module": "injmod", "func": func,
                             "arguments": {"path": str(tmp_path / "log")}}}  # fmt: skip
    wait = {"type": "action", "name": "wait",
            "provider": {"type": "process", "path": "sleep", "arguments": "30"}}  # fmt: skip
    method: list[object] = [injector, wait]
    if member.get("parallel"):
        injector.pop("parallel")
        method = [{"type": "parallel", "name": "g", "activities": [injector, wait]}]
    experiment = {
        "title": "a python injector",
        "description": "a fault re-applied in a loop by python code",
        "method": method,
        "rollbacks": [{"type": "action", "name": "undo",
                       "provider": {"type": "process", "path": "sh", "arguments": ["-c", UNDO]}}],
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    squall = start_in(tmp_path, "run", "e.json", "--no-history", "--rollback-strategy", "always")
    log = tmp_path / "log"
    deadline = time.monotonic() + 30
    while (not log.exists() or log.read_text().count("inject") < 5) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    squall.send_signal(signal.SIGTERM)
    _, stderr = squall.communicate(timeout=60)
    return squall.returncode, stderr, log.read_text().split()


@pytest.mark.parametrize(
    "member",
    [{"background": True}, {"background": True, "timeout": 600}, {"parallel": True}],
    ids=["background", "background-with-timeout", "parallel"],
)
def test_a_python_injector_is_stopped_before_the_rollbacks(
    member: dict[str, object], tmp_path: Path
) -> None:
    code, stderr, lines = _run(tmp_path, "inject", member)
    assert code == 130, stderr
    assert "ROLLBACK" in lines and "ROLLBACK-END" in lines, (lines, stderr)
    after = lines[lines.index("ROLLBACK") :]
    assert "inject" not in after, f"{after.count('inject')} injections after the rollback began"
    journal = json.loads((tmp_path / "journal.json").read_text())
    entry = next(e for e in journal["run"] if e and e["activity"]["name"] == "injector")
    assert entry["status"] == "failed", entry
    assert entry["squall"]["reason"].startswith("interrupted by a cancel (the run stopped"), entry
    # a public, documented name (it was the private squall.providers.python._Stopped)
    assert entry["exception"][-1] == "squall.errors.Cancelled: cancelled by squall\n", entry
    assert "could not be stopped" not in stderr


def test_python_code_that_swallows_the_stop_is_abandoned_with_a_warning(
    tmp_path: Path,
) -> None:
    code, stderr, _ = _run(tmp_path, "stubborn", {"background": True})
    assert code == 130, stderr
    assert "injector" in stderr and "could not be stopped" in stderr, stderr
