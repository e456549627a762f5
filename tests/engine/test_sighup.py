"""SIGHUP (the terminal or the SSH session closed) stops a run as SIGTERM does: the
rollbacks its strategy owes are played, the journal says why, exit 130. Under ``nohup``
(SIGHUP ignored) a hang-up does not stop it.

Found: SIGHUP killed squall with the default action (exit 129): no journal, no rollback
played even with ``--rollback-strategy always``, only kill -9's recoverable stream left.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqharness import subprocess_env


def _experiment(seconds: float) -> dict[str, object]:
    def shell(name: str, command: str) -> dict[str, object]:
        return {
            "type": "action",
            "name": name,
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", command]},
        }

    return {
        "title": "hung up",
        "description": "the session closes during the method",
        "method": [shell("inject", "echo injected >> marks"), shell("wait", f"sleep {seconds}")],
        "rollbacks": [shell("undo", "echo rolled-back >> marks")],
    }


def _hang_up(tmp_path: Path, seconds: float, ignored: bool) -> subprocess.Popen[str]:
    (tmp_path / "e.json").write_text(json.dumps(_experiment(seconds)))
    argv = [sys.executable, "-m", "squall", "run", "e.json", "--rollback-strategy", "always"]

    def hangup_disposition() -> None:
        # under nohup, SIGHUP ignored; otherwise its default, whatever the suite inherited
        # (a suite started under nohup hands its children SIGHUP ignored)
        signal.signal(signal.SIGHUP, signal.SIG_IGN if ignored else signal.SIG_DFL)

    run = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=hangup_disposition,
    )
    marks = tmp_path / "marks"
    deadline = time.monotonic() + 60
    while not (marks.exists() and "injected" in marks.read_text()):
        assert time.monotonic() < deadline and run.poll() is None, "never injected"
        time.sleep(0.05)
    time.sleep(0.3)  # into the 'wait' activity
    run.send_signal(signal.SIGHUP)
    return run


def test_sighup_stops_the_run_and_plays_the_owed_rollbacks(tmp_path: Path) -> None:
    run = _hang_up(tmp_path, 30, ignored=False)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    assert (tmp_path / "marks").read_text().split() == ["injected", "rolled-back"]
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "interrupted" and journal["interruption"]["name"] == "SIGHUP"


def test_under_nohup_a_hang_up_does_not_stop_the_run(tmp_path: Path) -> None:
    run = _hang_up(tmp_path, 1.5, ignored=True)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "completed"
