"""What the console warns of about an entry is in the reports too: a step played again
from its start after its Temporal worker was lost (``squall.replayed``), and calls
retried (``squall.attempts``). Before, no format showed either, and a rollback played
twice looked like one clean play."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from squall.report import read_journal, render

REPLAYED = (
    "played again from the start: the worker playing it before (worker-a) was lost "
    "(killed or cut off) or ran past its time limit before it finished"
)


def _entry(name: str, squall: dict[str, Any]) -> dict[str, Any]:
    return {
        "activity": {"type": "action", "name": name, "provider": {"type": "process"}},
        "status": "succeeded",
        "output": None,
        "start": "2026-12-05T06:00:00+00:00",
        "end": "2026-12-05T06:00:01+00:00",
        "duration": 1.0,
        "squall": squall,
    }


def _journal() -> dict[str, Any]:
    attempts = [
        {"attempt": 1, "status": "failed", "error": "refused"},
        {"attempt": 2, "status": "failed", "error": "refused"},
        {"attempt": 3, "status": "succeeded"},
    ]
    return {
        "chaoslib-version": "1.45.1",
        "experiment": {"title": "notes", "description": "d", "method": []},
        "status": "completed",
        "deviated": False,
        "start": "2026-12-05T06:00:00+00:00",
        "run": [_entry("flaky-call", {"attempts": attempts})],
        "rollbacks": [_entry("restore-primary", {"replayed": REPLAYED, "attempt": 2})],
        "squall": {"outcome": "held", "exit_code": 0, "reasons": []},
    }


def test_replays_and_retries_are_in_every_text_format(tmp_path: Path) -> None:
    (tmp_path / "j.json").write_text(json.dumps(_journal()))
    report = read_journal(str(tmp_path / "j.json"))
    (rollback,) = report.rollbacks
    assert rollback.notes == [f"{REPLAYED} (attempt 2)"]
    assert report.method[0].notes == ["called 3 times (retry): failed, failed, succeeded"]
    markdown = render([report], "markdown")
    assert "- rollbacks restore-primary: played again from the start" in markdown
    assert "- method flaky-call: called 3 times (retry): failed, failed, succeeded" in markdown
    html = render([report], "html")
    assert '<dd class="note">played again from the start' in html
    entries = json.loads(render([report], "json"))["runs"][0]["entries"]
    assert {e["name"]: e.get("notes") for e in entries} == {
        "flaky-call": ["called 3 times (retry): failed, failed, succeeded"],
        "restore-primary": [f"{REPLAYED} (attempt 2)"],
    }


def test_hostile_notes_are_text_and_bounded(tmp_path: Path) -> None:
    journal = _journal()
    journal["rollbacks"][0]["squall"] = {"replayed": ["not", "text"], "attempt": "2"}
    journal["run"][0]["squall"] = {"attempts": [None] * 500}
    (tmp_path / "j.json").write_text(json.dumps(journal))
    report = read_journal(str(tmp_path / "j.json"))
    assert report.rollbacks[0].notes == []
    (note,) = report.method[0].notes
    assert note.startswith("called 500 times (retry): ?, ?") and note.endswith(", ...")
    assert len(note) < 200
