"""``squall runs attach`` of a run with large outputs, and of one with many events: the
progress the command line reads from the run's workflow (its ``progress`` query) comes
in answers of bounded size, each far below Temporal's limits, until the end; the entries
in it carry no outputs (the console shows none; the journal has them).

Found: attaching to a finished run asked for all its events at once, each finished
activity with its whole output: three 900 kB outputs made an answer past Temporal's
limits, and the command line showed no progress at all."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed

pytestmark = pytest.mark.slow


def _ended(bed: Bed, run_id: str, timeout: float = 180) -> None:
    """Wait until the run's workflow is no longer running."""
    deadline = time.monotonic() + timeout
    while True:
        done = bed.server.cli("workflow", "describe", "--workflow-id", run_id, "--output", "json")
        if done.returncode == 0:
            status = json.loads(done.stdout)["workflowExecutionInfo"]["status"]
            if "RUNNING" not in str(status).upper():
                return
        assert time.monotonic() < deadline, done.stdout
        time.sleep(0.5)


def test_attach_to_a_finished_run_with_large_outputs_shows_its_progress(
    bed: Bed, tmp_path: Path
) -> None:
    big = [{"type": "action", "name": f"big-{n}", "provider": {
        "type": "python", "module": "odd_outputs", "func": "large",
        "arguments": {"size": 900_000}}} for n in range(3)]  # fmt: skip
    experiment: dict[str, Any] = {"title": "large", "description": "3 x 900 kB", "method": big}
    path = tmp_path / "large.json"
    path.write_text(json.dumps(experiment))
    started = bed.squall("run", "--engine", "temporal", "--detach", str(path))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    _ended(bed, run_id)
    journal = tmp_path / "journal.json"
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(journal), timeout=180)
    assert attached.returncode == 0, attached.stderr
    assert "cannot answer" not in attached.stderr and "Traceback" not in attached.stderr
    shown = [line for line in attached.stderr.splitlines() if "action big-" in line]
    assert len(shown) == 3 and all(line.split()[0] == "ok" for line in shown), attached.stderr
    document = json.loads(journal.read_text())
    assert [e["status"] for e in document["run"]] == ["succeeded"] * 3


def test_progress_comes_in_bounded_answers_until_the_end() -> None:
    """The workflow's ``progress`` query (the workflow's own method, called as Temporal
    calls it): answers of about :data:`PROGRESS_BYTES` at most, one event at least,
    ``done`` only with the last one."""
    from squall.temporal.flow.state import PROGRESS_BYTES
    from squall.temporal.workflow import ExperimentWorkflow

    flow = ExperimentWorkflow()
    for n in range(2000):
        flow._emit("warning", text=f"{n} " + "x" * 2000)
    flow._emit("warning", text="y" * (PROGRESS_BYTES + 10))  # one too large for a budget
    flow._done = True
    seen: list[dict[str, Any]] = []
    since, answers = 0, 0
    while True:
        answer = flow.progress(since)
        answers += 1
        assert len(json.dumps(answer)) < 2 * PROGRESS_BYTES + 4096
        assert answer["events"], answer
        seen += answer["events"]
        since = answer["next"]
        if answer["done"]:
            break
        assert answer["more"]
    assert [e["text"].split()[0] for e in seen[:2000]] == [str(n) for n in range(2000)]
    assert seen[-1]["text"].startswith("y") and since == 2001
    assert answers > 4  # 4 MB of events, in answers of about 1 MB
    assert flow.progress(since) == {"events": [], "next": since, "done": True, "more": False}
