"""What a run's activities print is masked when the run is started from Python too.

Found: ``squall.run_experiment`` (and so the pytest plugin's ``squall_run``, and any
program embedding squall) masked secrets in the journal it returns, but not on the
console: a Python activity (a driver logging its request, a ``print`` left in) that
printed a secret wrote it in clear to the process's stdout, which pytest shows in a
failed test's report and CI keeps in its logs. Only the ``squall`` command masked its
streams.

Now ``run_experiment`` masks ``sys.stdout`` and ``sys.stderr`` for the duration of the
run (and puts the caller's back after, or leaves them if they are masked already).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqharness import subprocess_env

HERE = Path(__file__).resolve().parent
TOKEN = "CNRYapi-5531"
PROGRAM = """
import sys, squall
before = sys.stdout, sys.stderr
journal = squall.run_experiment("e.json")
print("status", journal.status.value, "restored", (sys.stdout, sys.stderr) == before)
"""


def test_an_activity_printing_a_secret_is_masked_under_the_python_api(tmp_path: Path) -> None:
    experiment = {
        "title": "printing",
        "description": "a Python activity prints its secret",
        "secrets": {"s": {"tok": TOKEN}},
        "method": [
            {
                "type": "action",
                "name": "show",
                "secrets": ["s"],
                "provider": {
                    "type": "python",
                    "module": "printmod",
                    "func": "show",
                    "arguments": {"token": "${tok}"},
                },
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=tmp_path,
        env=subprocess_env(PYTHONPATH=str(HERE), SQUALL_RECOVERY_DIR=str(tmp_path / "r")),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "activity printed: ***\n" in done.stdout
    assert "activity wrote: ***\n" in done.stderr
    assert "CNRY" not in done.stdout + done.stderr
    assert "status completed restored True" in done.stdout
