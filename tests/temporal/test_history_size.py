"""The experiment document is in a run's Temporal history once, not once per activity:
activities are given the run without it, and each worker reads it once per run from the
workflow's input (its history's first event). Before, a large
experiment grew its history by its own size at every activity, past Temporal's limits
(50 MB of history, 2 MB per payload)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import write_experiment

pytestmark = pytest.mark.slow

#: a text only the experiment's description holds
MARKER = "history-size-marker-5c0d9e"
ACTIVITIES = 12


def _getpid(name: str, **extra: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "os", "func": "getpid"}
    return {"type": "action", "name": name, "provider": provider, **extra}


def test_the_document_is_in_the_history_once_whatever_the_number_of_activities(
    bed: Bed, tmp_path: Path
) -> None:
    on_b = {"squall": {"task_queue": "b"}}  # a worker that did not start the run
    method = [_getpid(f"a{i}", **(on_b if i % 2 else {})) for i in range(ACTIVITIES)]
    experiment = write_experiment(
        tmp_path / "sized.json",
        method,
        [_getpid("undo", **on_b)],
        description=f"{MARKER} " * 200,
        squall={"task_queue": "main"},
    )
    journal = tmp_path / "journal.json"
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(journal.read_text())
    ran = [e for e in document["run"] + document["rollbacks"] if e["status"] == "succeeded"]
    assert len(ran) == ACTIVITIES + 1, document
    pids = {e["output"] for e in ran}
    assert len(pids) == 2, pids  # both workers ran activities (and resolved the run)
    history = bed.history_text(document["squall"]["run_id"])
    # each copy of the description holds the marker 200 times; the copies are the
    # workflow's input, the start activity's input, the journal's header it returns and
    # the journal the workflow returns (4), against 5 + one per activity (17) before
    copies = len(re.findall(MARKER, history)) / 200
    assert 1 <= copies <= 6, copies
