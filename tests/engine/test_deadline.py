"""``runtime.timeout``: a deadline for the whole run."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES


def logged(log: Path) -> list[str]:
    return [line.split(" ", 1)[1] for line in log.read_text().splitlines()]


def test_the_deadline_stops_the_run_and_plays_the_rollbacks(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    started = time.monotonic()
    result = squall("run", str(EXAMPLES / "deadline.json"), "--var", f"log={log}")
    assert time.monotonic() - started < 10, "stopped at the deadline, not after the 30 s sleep"
    assert result.code == 3, result.stderr
    journal = result.journal
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["kind"] == "deadline"
    assert "deadline of 1s" in journal["squall"]["reasons"][0]
    assert [(r["activity"]["name"], r["status"]) for r in journal["run"]] == [
        ("inject", "succeeded"),
        ("hold", "failed"),
    ]
    assert logged(log) == ["inject", "undo"], "the rollback ran; the rest of the method did not"


def test_a_run_within_its_deadline_is_unaffected(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    result = squall(
        "run", str(EXAMPLES / "deadline.json"), "--var", f"log={log}", "--var", "hold:int=0"
    )
    assert result.code == 0, result.stderr
    assert logged(log) == ["inject", "never", "undo"]
    assert "interruption" not in result.journal
