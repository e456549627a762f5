"""``squall`` started with stdin, stdout or stderr closed (``>&-``: a daemon's or a CI
runner's habit) runs as with ``/dev/null`` there. Found: a closed stderr refused every
run (exit 3 before anything ran: the console asked it ``isatty``); a closed stdout
ended in a traceback (exit 120) after the run; a driver writing to descriptor 1 failed
(EBADF). A real ``squall`` process, started by ``sh`` with the streams closed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sqharness import subprocess_env

DRIVER = """
import os

def poke():
    return os.write(1, b"written to descriptor 1\\n")
"""


@pytest.mark.parametrize("closed", [">&-", "2>&-", "<&- >&- 2>&-"])
def test_a_closed_standard_stream_is_dev_null(tmp_path: Path, closed: str) -> None:
    (tmp_path / "fd1.py").write_text(DRIVER)
    provider = {"type": "python", "module": "fd1", "func": "poke"}
    experiment = {"title": "t", "description": "d",
                  "method": [{"type": "action", "name": "poke", "provider": provider}]}  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    command = f'exec "{sys.executable}" -m squall run e.json --no-history {closed}'
    done = subprocess.run(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=subprocess_env(PYTHONPATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    journal = json.loads((tmp_path / "journal.json").read_text())
    entry = journal["run"][0]
    assert entry["status"] == "succeeded" and entry["output"] == 24, entry
