"""A retry's record of its calls is bounded, however many attempts it is given.

Found: ``"retry": {"attempts": 1000000000}`` on an action that fails at once kept a record
of every call (``squall.attempts``) in memory and in the journal: the run grew by about
1.5 MB a second (10 MB of journal after 12 s) until it was stopped.

Now the first ``KEPT - 1`` calls and the last one are recorded, and
``squall.attempts_not_recorded`` counts the others.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from squall.engine.attempts import KEPT_ATTEMPTS


def test_a_long_retry_keeps_a_bounded_record(squall: Any, tmp_path: Path) -> None:
    attempts = KEPT_ATTEMPTS * 3 + 7
    experiment = {
        "title": "retry",
        "description": "an action that always fails, retried many times",
        "method": [
            {
                "type": "action",
                "name": "always-fails",
                "retry": {"attempts": attempts},
                "provider": {
                    "type": "python",
                    "module": "os",
                    "func": "rmdir",
                    "arguments": {"path": str(tmp_path / "missing" / "x")},
                },
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    result = squall("run", "e.json", timeout=120)
    assert result.code == 3, result.stderr
    entry = result.journal["run"][0]
    record = entry["squall"]["attempts"]
    assert len(record) == KEPT_ATTEMPTS
    assert [a["attempt"] for a in record[:2]] == [1, 2]
    assert record[-2]["attempt"] == KEPT_ATTEMPTS - 1 and record[-1]["attempt"] == attempts
    assert entry["squall"]["attempts_not_recorded"] == attempts - KEPT_ATTEMPTS
    assert any(f"(after {attempts} attempts)" in r for r in result.journal["squall"]["reasons"])


def test_a_short_retry_records_every_call(squall: Any, tmp_path: Path) -> None:
    experiment = {
        "title": "retry",
        "description": "three attempts",
        "method": [
            {
                "type": "action",
                "name": "fails",
                "retry": {"attempts": 3},
                "provider": {
                    "type": "python",
                    "module": "os",
                    "func": "rmdir",
                    "arguments": {"path": "/nonexistent/x"},
                },
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    entry = squall("run", "e.json").journal["run"][0]
    assert [a["attempt"] for a in entry["squall"]["attempts"]] == [1, 2, 3]
    assert "attempts_not_recorded" not in entry["squall"]
