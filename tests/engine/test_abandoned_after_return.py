"""An in-process run (the Python API, the pytest plugin) returns a journal that nothing
changes afterwards: a continuous check or a background Python activity that a stop
abandoned (code that swallows squall's interruption) and that ends later, while the
process lives, records nothing in it. Found (session 9's report, left): the abandoned
check appended its result to the returned journal's ``during`` 3 s after the return.

A real process runs the API (Ctrl-C is its SIGINT, sent by the method to itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sqharness import subprocess_env

STUBBORN = """
import os, signal, time

calls = []

def _stubborn(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # swallows squall's stop: abandoned after the grace
        try:
            time.sleep(0.01)
        except BaseException:
            pass

def check():
    calls.append(1)
    if len(calls) > 1:  # not the check before the method
        _stubborn(7)
    return True

def injector():
    _stubborn(7)
    return "late"

def stop():
    time.sleep(0.3)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
"""

API = """
import json, sys, time
import squall
probe = {"type": "python", "module": "stubborn", "func": "check"}
experiment = {
    "title": "abandoned threads", "description": "they end after the run returned",
    "runtime": {"hypothesis": {"strategy": "continuously", "frequency": 0.05}},
    "steady-state-hypothesis": {"title": "h", "probes": [
        {"type": "probe", "name": "check", "tolerance": True, "provider": probe}]},
    "method": [
        {"type": "action", "name": "injector", "background": True,
         "provider": {"type": "python", "module": "stubborn", "func": "injector"}},
        {"type": "action", "name": "stop",
         "provider": {"type": "python", "module": "stubborn", "func": "stop"}},
    ],
}
try:
    squall.run_experiment(experiment)
except squall.RunInterrupted as stop:
    journal = stop.journal
returned = json.dumps(journal.to_dict(), default=str)
time.sleep(6)  # the abandoned threads end meanwhile
print(json.dumps({"returned": json.loads(returned), "later": journal.to_dict()}, default=str))
"""


@pytest.mark.slow  # the stubborn code runs 7 s, the check waits 6 s after the return
def test_threads_a_stop_abandoned_leave_the_returned_journal_alone(tmp_path: Path) -> None:
    (tmp_path / "stubborn.py").write_text(STUBBORN)
    done = subprocess.run(
        [sys.executable, "-c", API],
        cwd=tmp_path,
        env=subprocess_env(PYTHONPATH=str(tmp_path), SQUALL_RECOVERY_DIR=str(tmp_path / "r")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    returned, later = seen["returned"], seen["later"]
    assert later == returned  # before: the check's result was appended to "during"
    names = [e["activity"]["name"] for e in later["run"]]
    assert names == ["(background activity)", "stop"], names  # no late "injector" entry
