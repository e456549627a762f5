"""A report names the Temporal worker that played each activity (``squall.worker`` in its
journal entry), and a reference to an unknown activity by the name it referred to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORKER = "4242@db-host squall 0.1.0 nightly drivers: host,network,security"


def _journal() -> dict[str, Any]:
    played = {"type": "action", "name": "pause-db", "provider": {"type": "process", "path": "true"}}
    entry = {
        "activity": played,
        "status": "succeeded",
        "output": None,
        "start": "2026-12-05T10:00:00.000000",
        "end": "2026-12-05T10:00:01.000000",
        "duration": 1.0,
        "squall": {"worker": WORKER},
    }
    missing = {
        "activity": {"ref": "missing"},
        "status": "failed",
        "output": None,
        "start": "2026-12-05T10:00:01.000000",
        "end": "2026-12-05T10:00:01.000000",
        "duration": 0.0,
        "exception": ['squall.errors.ActivityFailed: reference to unknown activity "missing"\n'],
    }
    return {"chaoslib-version": "1.45.0", "platform": "Linux", "node": "laptop",
            "experiment": {"title": "t", "description": "d", "method": [played, {"ref": "missing"}]},
            "start": "2026-12-05T10:00:00.000000", "end": "2026-12-05T10:00:02.000000",
            "duration": 2.0, "status": "completed", "deviated": False,
            "steady_states": {"before": None, "after": None, "during": []},
            "run": [entry, missing], "rollbacks": []}  # fmt: skip


def test_reports_name_the_worker_and_an_unknown_reference(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "j.json").write_text(json.dumps(_journal()))
    for fmt in ("html", "json", "markdown"):
        done = squall("report", "j.json", "--format", fmt, "--output", f"r.{fmt}")
        assert done.code == 0, done.stderr
    html = (tmp_path / "r.html").read_text()
    assert "<dt>Worker</dt><dd><code>4242@db-host squall 0.1.0 nightly drivers:" in html
    (run,) = json.loads((tmp_path / "r.json").read_text())["runs"]
    entries = run["entries"]
    assert [e.get("worker") for e in entries] == [WORKER, None]
    assert [e["name"] for e in entries] == ["pause-db", "missing"]
    markdown = (tmp_path / "r.markdown").read_text()
    assert "(unnamed)" not in markdown and "| missing |" in markdown


def test_the_verdict_names_an_unknown_reference(squall: Any, tmp_path: Path) -> None:
    """Unvalidated (validation refuses it, exit 2), the reference fails as an activity
    named by what it referred to, not ``activity "" failed``."""
    experiment = {"title": "t", "description": "d", "method": [{"ref": "missing"}]}
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    done = squall("run", "--no-validation", "e.json")
    assert done.code == 3, done.stderr
    assert 'activity "missing" failed: reference to unknown activity "missing"' in done.stderr
