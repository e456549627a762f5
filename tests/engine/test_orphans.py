"""No orphans: the children of activities die with squall, however squall dies.

Before, a ``process`` activity kept running after ``kill -9`` of squall, finished its
work, and ``squall recover`` then played the same rollback a second time. Here a shell
(which also starts a grandchild) and an isolated python call each log ``*-started``,
wait, then log ``*-late``: squall is killed in between, and no ``late`` line may follow.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from sqharness import EXAMPLES, run_argv, subprocess_env

WAIT = 1.0


def _run(tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    argv = run_argv(
        tmp_path / "journal.json", EXAMPLES / "orphans.json",
        "--var", f"log={log}", "--var", f"wait={WAIT}",
    )  # fmt: skip
    return subprocess.Popen(
        argv, env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("started", ["shell-started", "isolated-started"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_children_die_with_squall(tmp_path: Path, started: str, how: signal.Signals) -> None:
    log = tmp_path / "log.txt"
    proc = _run(tmp_path, log)
    deadline = time.monotonic() + 30
    while started not in _lines(log):
        assert proc.poll() is None and time.monotonic() < deadline, _lines(log)
        time.sleep(0.01)
    proc.send_signal(how)
    proc.wait(timeout=30)
    time.sleep(WAIT + 0.7)  # an orphan would have logged by now
    late = [line for line in _lines(log) if line.endswith("-late")]
    if started == "isolated-started":  # the shell action had finished before
        late.remove("grandchild-late")
        late.remove("shell-late")
    assert late == [], f"a child of squall outlived it: {_lines(log)}"


def test_a_process_cannot_read_squalls_stdin(tmp_path: Path, squall: object) -> None:
    """A child gets an empty stdin: it never waits for (or eats) squall's input."""
    experiment = tmp_path / "e.json"
    experiment.write_text(
        '{"title": "t", "description": "d", "method": [{"type": "action", "name": "read",'
        ' "provider": {"type": "process", "path": "sh", "arguments": ["-c", "cat; echo done"]}}]}'
    )
    done = subprocess.run(
        run_argv(tmp_path / "j.json", experiment),
        env=subprocess_env(),
        input=b"squall's own input\n",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    import json

    output = json.loads((tmp_path / "j.json").read_text())["run"][0]["output"]
    assert output["stdout"] == "done\n"
