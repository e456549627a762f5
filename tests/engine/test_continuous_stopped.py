"""A stop is not held up by a continuous hypothesis's probe that does not end.

Found (session 9): when the method ended, squall waited for the continuous hypothesis's
thread with an unbounded ``Thread.join``. A probe that hung (a Python probe blocked on a
dead dependency, a slow one without a timeout) held the run there, and SIGTERM, then a
second SIGTERM, did nothing: the rollbacks (``--rollback-strategy always``) were played
only when the probe ended, 30 s later, or never.

Now a stop gives the probe the grace a background activity gets (a process probe is
killed), then abandons it: the check's result no longer counts, and the rollbacks play.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sqharness import start_in

HANG = '''
import os, time

def probe(path: str) -> bool:
    """Quick before the method; from its first check during the method, hangs."""
    if os.path.exists(os.path.join(path, "method-started")):
        open(os.path.join(path, "hung"), "w").close()
        time.sleep(120)
    return True
'''


def _experiment(tmp_path: Path, probe: dict[str, object]) -> None:
    experiment = {
        "title": "a continuous probe that hangs",
        "description": "the method ends while the check during it never does",
        "runtime": {"hypothesis": {"strategy": "continuously", "frequency": 0.05}},
        "steady-state-hypothesis": {
            "title": "a slow check",
            "probes": [{"type": "probe", "name": "hangs", "provider": probe,
                        "tolerance": 0 if probe["type"] == "process" else True}],
        },
        "method": [
            {"type": "action", "name": "start", "provider": {"type": "process", "path": "sh",
             "arguments": ["-c", "touch method-started; sleep 0.2"]}},
        ],
        "rollbacks": [
            {"type": "action", "name": "undo", "provider": {"type": "process", "path": "sh",
             "arguments": ["-c", "echo undone > undone"]}},
        ],
    }  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))


PROBES = {
    "python": lambda tmp: {"type": "python", "module": "hangmod", "func": "probe",
                           "arguments": {"path": str(tmp)}},
    "process": lambda tmp: {"type": "process", "path": "sh", "arguments": [
        "-c", "if [ -e method-started ]; then touch hung; exec sleep 120; fi"]},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(PROBES))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_does_not_wait_for_a_hung_continuous_probe(
    kind: str, signum: int, tmp_path: Path
) -> None:
    (tmp_path / "hangmod.py").write_text(HANG)
    _experiment(tmp_path, PROBES[kind](tmp_path))
    squall = start_in(tmp_path, "run", "e.json", "--no-history", "--rollback-strategy", "always")
    deadline = time.monotonic() + 30
    while not (tmp_path / "hung").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # the method (0.2 s) has ended: squall waits for the check
    squall.send_signal(signum)
    stopped = time.monotonic()
    try:
        _, stderr = squall.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        squall.kill()
        squall.communicate()
        pytest.fail("the stop waited for the hung probe (still running after 20 s)")
    took = time.monotonic() - stopped
    assert squall.returncode == 130, stderr
    assert (tmp_path / "undone").exists(), "the rollback was played"
    assert took < 15, f"the stop took {took:.1f} s"
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert [r["status"] for r in journal["rollbacks"]] == ["succeeded"]
