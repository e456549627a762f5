"""The experiment workflow is deterministic and replay-compatible: Temporal replays a
workflow's history whenever a worker takes a run over (its worker died, its cache let it
go) and the new code must issue the same commands in the same order, or the run is
stuck with a non-determinism error.

Two checks, with Temporal's own ``Replayer`` and the worker's sandbox settings:

- runs made now, on the shared workers (every kind of step: the run's controls, the
  hypothesis before, during and after, durable pauses (a number, a ``${name}``), a background
  activity, parallel groups with ``first-failure``, outputs, rollbacks, a deadline
  timer, a stop mid-pause), replayed by this code;
- the histories in ``tests/temporal/histories/``, recorded by an earlier squall (the
  commit is in each file's name): the workers of a new squall take over the runs an
  older one started. A change of the workflow that cannot replay them needs
  ``workflow.patched`` (or says in the changelog that runs in flight must end first);
  record new ones with ``SQUALL_RECORD_HISTORIES=1`` on this module.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqmarks import lines, shell, wait_for_lines, write_experiment

pytestmark = pytest.mark.slow

HISTORIES = Path(__file__).resolve().parent / "histories"


def _python(name: str, func: str, kind: str = "action", **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "sqtest", "func": func, "arguments": arguments}
    return {"type": kind, "name": name, "provider": provider}


def _every_step(path: Path) -> Path:
    """An experiment with every kind of step the workflow performs."""
    hypothesis = {
        "title": "steady",
        "probes": [{**_python("steady", "echo", "probe", value=True), "tolerance": True}],
    }
    controls = [
        {
            "name": "logged",
            "provider": {"type": "python", "module": "confcontrols", "arguments": {}},
        }
    ]
    method = [
        {**_python("paused", "echo", value=1), "pauses": {"before": 0.2, "after": 0.2}},
        {**_python("named-pause", "echo", value=2), "pauses": {"after": "${short}"}},
        {**_python("behind", "sleep", seconds=0.5), "background": True},
        {
            "type": "parallel",
            "name": "together",
            "activities": [_python("one", "echo", value=3), _python("two", "sleep", seconds=0.3)],
        },
        {
            "type": "parallel",
            "name": "first-fails",
            "join": "first-failure",
            "activities": [_python("long", "sleep", seconds=30), _python("boom", "boom")],
        },
        _python("uses-output", "echo", "probe", value="${outputs.one}"),
    ]
    rollbacks = [
        _python("undo", "echo", value="undone"),
        {"type": "parallel", "name": "undo-both", "activities": [_python("u1", "echo", value=4)]},
    ]
    return write_experiment(
        path,
        method,
        rollbacks,
        configuration={"short": 0.1},
        controls=controls,
        runtime={
            "hypothesis": {"strategy": "continuously", "frequency": 0.5},
            "rollbacks": {"strategy": "always"},
            "timeout": 600,
        },
        **{"steady-state-hypothesis": hypothesis},
    )


def _stopped_mid_pause(path: Path, marks: Path) -> Path:
    """An experiment stopped (``squall stop``) during a durable pause."""
    method = [
        {**shell("mark", f"echo $PPID >> {marks}/mark"), "pauses": {"after": 60}},
        _python("never", "echo", value=0),
    ]
    return write_experiment(path, method, [_python("undo", "echo", value=0)])


def _replay(events: list[dict[str, Any]], workflow_id: str) -> None:
    """Replay ``events`` with the worker's workflow and sandbox (raises on a mismatch)."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from squall.temporal.worker import workflow_runner
    from squall.temporal.workflow import ExperimentWorkflow

    replayer = Replayer(workflows=[ExperimentWorkflow], workflow_runner=workflow_runner())
    history = WorkflowHistory.from_json(workflow_id, {"events": events})
    result = asyncio.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    failure = result.replay_failure
    assert failure is None, f"{workflow_id} does not replay: {type(failure).__name__}: {failure}"


def _kept(bed: Bed, name: str, run_id: str) -> list[dict[str, Any]]:
    """The run's history; written to HISTORIES when recording (see the module's text)."""
    events = bed.history(run_id)
    if os.environ.get("SQUALL_RECORD_HISTORIES") == "1":
        import subprocess

        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        HISTORIES.mkdir(exist_ok=True)
        document = {"workflow_id": run_id, "events": events}
        (HISTORIES / f"{name}-{commit}.json").write_text(json.dumps(document) + "\n")
    return events


def test_runs_of_every_kind_of_step_replay(bed: Bed, tmp_path: Path) -> None:
    experiment = _every_step(tmp_path / "every-step.json")
    journal_path = tmp_path / "journal.json"
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal_path), str(experiment)
    )
    assert done.returncode == 3, done.stderr  # "boom" failed: broken, rollbacks played
    journal = json.loads(journal_path.read_text())
    assert journal["steady_states"]["during"], "the continuous hypothesis never ran"
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["undo", "u1"]
    events = _kept(bed, "every-step", journal["squall"]["run_id"])
    kinds = {e.get("eventType") for e in events}
    assert {"EVENT_TYPE_TIMER_STARTED", "EVENT_TYPE_TIMER_CANCELED"} <= kinds, kinds
    _replay(events, journal["squall"]["run_id"])


def test_a_run_stopped_mid_pause_replays(bed: Bed, tmp_path: Path) -> None:
    marks = tmp_path
    experiment = _stopped_mid_pause(tmp_path / "stopped.json", marks)
    started = bed.squall("run", "--engine", "temporal", "--detach", str(experiment))
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    wait_for_lines(marks / "mark")
    stop = bed.squall("stop", run_id, "--reason", "replay test")
    assert stop.returncode == 0, stop.stderr
    attached = bed.squall("runs", "attach", run_id, "--journal-path", str(tmp_path / "j.json"))
    assert attached.returncode == 130, attached.stderr
    assert lines(marks / "mark")
    events = _kept(bed, "stopped-mid-pause", run_id)
    assert any(e.get("eventType") == "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED" for e in events)
    _replay(events, run_id)


@pytest.mark.parametrize("recorded", sorted(p.name for p in HISTORIES.glob("*.json")) or ["<none>"])
def test_histories_of_an_earlier_squall_replay(recorded: str) -> None:
    path = HISTORIES / recorded
    assert path.exists(), f"no recorded history in {HISTORIES}"
    document = json.loads(path.read_text())
    _replay(document["events"], document["workflow_id"])
