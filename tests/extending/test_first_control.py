"""The "write a control" page is real: its control runs as the page says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlock import machine_lock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "first-driver"
EXPERIMENT = EXAMPLE / "experiment-with-control.json"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SQUALL_SETTINGS"}
    env.update(PYTHONPATH=str(EXAMPLE), HOME=str(tmp_path))
    # the experiment opens the tutorial's fixed port 47123, as the tutorial's own test and
    # the docs' console blocks do: one at a time on this machine (the probe saw another's)
    with machine_lock("port-47123"):
        return subprocess.run(
            [sys.executable, "-m", "squall", "run", str(EXPERIMENT), *args],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def _log(tmp_path: Path) -> list[dict[str, str]]:
    lines = (tmp_path / "activities.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_within_the_budget_it_holds_and_logs(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert [e["name"] for e in _log(tmp_path)] == [
        "port-is-open",
        "open-port",
        "port-is-open",
        "close-port",
    ]


def test_over_the_budget_it_stops_the_run_but_not_the_rollbacks(tmp_path: Path) -> None:
    done = _run(tmp_path, "--var", "max_seconds:float=0.5")
    assert done.returncode == 130, done.stderr
    assert 'control "time-budget" interrupted the run: time budget of 0.5 s spent' in done.stderr
    assert "interrupted by time-budget" in done.stderr
    assert _log(tmp_path)[-1] == {"name": "close-port", "status": "succeeded"}
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert journal["status"] == "interrupted"
    assert journal["rollbacks"][0]["status"] == "succeeded"
