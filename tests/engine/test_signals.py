"""Signals stop a real ``squall run`` cleanly: exit 130, journal written, rollbacks per
strategy, every run entry with a status."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import start_run

RECOVERY_PAGE = Path(__file__).resolve().parents[2] / "docs" / "recovery.md"


@pytest.mark.parametrize(
    ("experiment", "sig", "target", "extra", "rolled_back"),
    [
        ("interrupt.json", signal.SIGINT, "group", (), False),
        ("interrupt.json", signal.SIGINT, "pid", (), False),
        ("interrupt.json", signal.SIGINT, "group", ("--rollback-strategy", "always"), True),
        ("interrupt.json", signal.SIGTERM, "pid", (), False),
        ("interrupt-python.json", signal.SIGINT, "pid", (), False),
        ("interrupt-python.json", signal.SIGUSR1, "pid", ("--rollback-strategy", "always"), True),
        ("interrupt-python.json", signal.SIGUSR2, "pid", ("--rollback-strategy", "always"), False),
    ],
    ids=["int-group", "int-pid", "int-always", "term", "int-python", "usr1-always", "usr2-always"],
)
def test_signal_interrupts(
    tmp_path: Path,
    experiment: str,
    sig: signal.Signals,
    target: str,
    extra: tuple[str, ...],
    rolled_back: bool,
) -> None:
    proc, journal_path, log = start_run(tmp_path, experiment, *extra, new_session=True)
    sent = time.monotonic()
    if target == "group":
        import os

        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=20)
    assert time.monotonic() - sent < 5, "the run stopped promptly"
    assert proc.returncode == 130, stderr
    journal: dict[str, Any] = json.loads(journal_path.read_text())
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["name"] == sig.name
    assert all("status" in entry for entry in journal["run"] + journal["rollbacks"])
    assert [e["activity"]["name"] for e in journal["run"]] == ["started", "long-sleep"]
    assert journal["run"][1]["status"] == "failed"
    assert ("rollback" in log.read_text()) is rolled_back
    assert "never" not in log.read_text()
    assert "INTERRUPTED (exit 130)" in stderr
    assert "Traceback" not in stderr
    # rollbacks the strategy did not play are said, on the console's last line too
    left = [
        r
        for r in journal["squall"]["reasons"]
        if "not played (the rollback strategy plays none" in r
    ]
    assert bool(left) is (not rolled_back and sig is not signal.SIGUSR2), journal["squall"]
    assert all(reason in stderr for reason in left)
    if left and sig is signal.SIGINT:  # the line docs/recovery.md shows
        assert f"interrupted by SIGINT (Ctrl-C); {left[0]}" in RECOVERY_PAGE.read_text()
