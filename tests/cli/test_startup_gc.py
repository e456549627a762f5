"""The ``squall`` command's garbage collector: off while it starts, then its start-up
objects frozen (never scanned again) and collection back on for the run itself
(``squall.cli.settled``); a caller of ``main(argv)`` in-process keeps its collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqharness import run_squall

#: probes reading the collector's state while the run runs
EXPERIMENT = {
    "title": "the collector during a run",
    "description": "two probes",
    "method": [
        {
            "type": "probe",
            "name": name,
            "provider": {"type": "python", "module": "gc", "func": name, "arguments": {}},
        }
        for name in ("isenabled", "get_freeze_count")
    ],
}


def _outputs(journal: Path) -> dict[str, object]:
    data = json.loads(journal.read_text())
    assert data["status"] == "completed"
    return {entry["activity"]["name"]: entry["output"] for entry in data["run"]}


def test_the_command_collects_during_the_run_with_its_start_up_frozen(tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    journal = tmp_path / "j.json"
    done = run_squall(
        "run", "--journal-path", str(journal), str(tmp_path / "e.json"),
        SQUALL_HISTORY=str(tmp_path / "h.sqlite3"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outputs = _outputs(journal)
    assert outputs["isenabled"] is True  # the run's own garbage is collected
    # the modules, functions and classes of the start-up: thousands of objects
    assert isinstance(outputs["get_freeze_count"], int)
    assert outputs["get_freeze_count"] > 5000


def test_main_in_process_leaves_the_callers_collector_alone(tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    journal = tmp_path / "j.json"
    code = (
        "import gc, json; from squall.cli import main; "
        f"rc = main(['run', '--no-history', '--journal-path', {str(journal)!r}, "
        f"{str(tmp_path / 'e.json')!r}]); "
        "print(json.dumps([rc, gc.isenabled(), gc.get_freeze_count()]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=dict(os.environ),
    )  # fmt: skip
    assert json.loads(done.stdout.splitlines()[-1]) == [0, True, 0]
    assert _outputs(journal) == {"isenabled": True, "get_freeze_count": 0}
