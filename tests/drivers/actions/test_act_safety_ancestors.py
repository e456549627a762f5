"""No action signals one of squall's ancestors, listed or named by a pidfile or not.

Found: only squall itself and its parent were refused. Run through a wrapper (``sh -c``,
``make``, a CI step's shell, ``uv run``), squall's grandparent is the process reading
its output: a pid listed in ``squall_allowed_pids`` (or a pidfile naming it) got
SIGSTOP. That process then stopped reading; once the pipe filled, squall blocked
writing its next line, and the rollback that would have sent SIGCONT never ran. SIGKILL
of an ancestor ends the session that runs squall.

Now every ancestor of squall is refused, whatever vouches for it.

The chain here is real: the test starts a *reader* (a Python process relaying squall's
output, as a CI runner does), which starts ``sh -c 'squall run ...; true'``; the
experiment lists the reader's pid and pauses it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqharness import subprocess_env

READER = r"""
import os, subprocess, sys
pid = os.getpid()
command = (
    f"{sys.executable} -m squall run e.json --no-history --var reader:int={pid} "
    f"--var pidfile={os.getcwd()}/reader.pid; true"
)
open("reader.pid", "w").write(str(pid))
out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
sys.stdout.write(out.stdout + out.stderr)
"""


def _pause(name: str, **how: str) -> dict[str, object]:
    return {
        "type": "action",
        "name": name,
        "provider": {
            "type": "python",
            "module": "squall.drivers.host.processes",
            "func": "kill_or_pause_process",
            "arguments": {**how, "signal_name": "SIGSTOP", "wait_seconds": 1},
        },
    }


def test_an_ancestor_of_squall_is_never_signalled(tmp_path: Path) -> None:
    experiment = {
        "title": "pause the reader",
        "description": "the process reading squall's output is squall's grandparent",
        "configuration": {
            "squall_allowed_pids": ["${reader}"],
            "squall_allowed_paths": [str(tmp_path)],
        },
        "method": [
            _pause("by-pid", pid="${reader}"),  # listed
            _pause("by-pidfile", pidfile="${pidfile}"),  # a pidfile in an allowed directory
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    reader = subprocess.Popen(
        [sys.executable, "-c", READER],
        cwd=tmp_path,
        env=subprocess_env(SQUALL_RECOVERY_DIR=str(tmp_path / "recovery")),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        output, _ = reader.communicate(timeout=90)
    finally:
        if reader.poll() is None:  # paused (before the fix): let it die
            os.kill(reader.pid, signal.SIGCONT)
            reader.kill()
    journal = json.loads((tmp_path / "journal.json").read_text())
    for entry in journal["run"]:
        assert entry["status"] == "failed", (entry, output)
        assert f"refusing pid {reader.pid}: an ancestor of squall" in entry["squall"]["reason"]
