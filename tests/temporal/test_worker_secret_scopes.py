"""A worker serves many runs: each run's secrets are masked in that run, not in the next
runs the same worker serves (a secret scope per run on the worker), while the run that
owns them still never shows them."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed

pytestmark = pytest.mark.slow

KEY = base64.b64encode(os.urandom(32)).decode()
CANARY = "zebra-canary-7f3"


def _experiment(path: Path, secret: bool) -> Path:
    echo = {"type": "python", "module": "confhelpers", "func": "echo"}
    document: dict[str, Any] = {
        "title": "says zebra-canary-7f3 aloud",
        "description": "a secret scope test",
        "method": [
            {
                "type": "probe",
                "name": f"probe-{CANARY}",
                "provider": {**echo, "arguments": {"value": f"it is {CANARY}"}},
            }
        ],
    }
    if secret:
        document["secrets"] = {"s": {"token": CANARY}}
    path.write_text(json.dumps(document))
    return path


def test_a_run_s_secret_is_not_masked_in_the_next_runs_of_the_worker(
    bed: Bed, tmp_path: Path
) -> None:
    worker = bed.worker("scopes", SQUALL_TEMPORAL_KEY=KEY)
    try:
        journals = {}
        for name, secret in (("owner", True), ("next", False)):
            journal = tmp_path / f"{name}.journal.json"
            done = bed.squall(
                "run", "--engine", "temporal", "--task-queue", "scopes",
                "--journal-path", str(journal), str(_experiment(tmp_path / f"{name}.json", secret)),
                SQUALL_TEMPORAL_KEY=KEY,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            journals[name] = journal.read_text()
    finally:
        worker.stop()
    assert CANARY not in journals["owner"]
    assert "***" in journals["owner"]
    entry = json.loads(journals["next"])["run"][0]
    assert entry["activity"]["name"] == f"probe-{CANARY}"
    assert entry["output"] == f"it is {CANARY}"
    assert json.loads(journals["next"])["experiment"]["title"] == f"says {CANARY} aloud"
