"""A stop asked for after the run has ended (SIGUSR1/SIGUSR2 sent late, as the
chaosaddons safeguards control does from its own thread) has nothing left to stop: it
must not kill ``squall run`` after the journal is written and change its exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sqharness import EXAMPLES

LATE = """
import os, signal, time

def stop_late(channel, event):
    if event["name"] == "run-completed":  # the journal is written by now
        os.kill(os.getpid(), getattr(signal, channel["signal"]))
        time.sleep(0.2)
"""


@pytest.mark.parametrize("name", ["SIGUSR1", "SIGUSR2"])
def test_a_late_stop_signal_does_not_kill_a_finished_run(
    squall: Any, tmp_path: Path, name: str
) -> None:
    (tmp_path / "lateplug.py").write_text(LATE)
    channel = {"type": "plugin", "module": "lateplug", "func": "stop_late", "signal": name}
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"notifications": [channel]}))
    result = squall("run", str(EXAMPLES / "trivial.json"), env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 0, (result.code, result.stderr)
    assert result.journal["status"] == "completed"
