"""A count and its noun agree in what squall prints (session 9, newcomer8's T12): one
experiment with one activity is "valid (1 activity)", not "1 activities"; one problem,
one run written, one owed rollback, one change, likewise (``squall.show.counted``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from squall.show import counted

ONE = {
    "title": "one activity",
    "description": "d",
    "method": [
        {
            "type": "action",
            "name": "a",
            "provider": {"type": "python", "module": "os", "func": "getpid"},
        }
    ],
}


def test_counted_agrees_with_its_number() -> None:
    assert counted(1, "activity", "activities") == "1 activity"
    assert counted(0, "activity", "activities") == "0 activities"
    assert counted(2, "run") == "2 runs"
    assert counted(1, "owed rollback") == "1 owed rollback"


def test_validate_one_activity_and_one_problem(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(ONE))
    done = squall("validate", "one.json")
    assert done.code == 0, done.stderr
    assert "squall: one.json: valid (1 activity)\n" in done.stderr
    (tmp_path / "bad.json").write_text(json.dumps({**ONE, "description": 3}))
    bad = squall("validate", "one.json", "bad.json")
    assert bad.code == 2
    assert "squall: bad.json: 1 problem\n" in bad.stderr
    assert "squall: 2 experiments: 1 valid, 1 with problems\n" in bad.stderr


def test_reports_of_one_run(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(ONE))
    assert squall("run", "one.json").code == 0
    done = squall("report", "journal.json", "-f", "html", "-o", "report.html")
    assert done.code == 0, done.stderr
    assert "squall: html report of 1 run written to report.html\n" in done.stderr
    markdown = squall("report", "journal.json", "-f", "markdown")
    assert "<sub>1 activity and 0 probe runs in " in markdown.stdout
