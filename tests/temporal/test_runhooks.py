"""The worker side of a run's hooks (squall.temporal.runhooks), in this process, without
a Temporal server: a journal handed to hooks reads back whole; a SIGUSR1 a control sends
to the worker stops the runs whose controls it holds (and no other); a worker's cache of
runs never drops a run whose controls it holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall.engine.context import Interruption
from squall.experiment.parse import parse_experiment
from squall.journal.model import ActivityRun, HypothesisRun, Journal, RunStatus
from squall.journal.store import format_journal
from squall.plan import PlanOptions, make_plan
from squall.temporal import steps
from squall.temporal.inputs import RunInput, run_input
from squall.temporal.runhooks import (
    HookInput,
    fields_of,
    interruption_of,
    journal_from,
    process_signalled,
)


def _run(tmp_path: Path, run_id: str, controls: bool = True) -> RunInput:
    document: dict[str, Any] = {
        "title": run_id,
        "description": "hooks on a worker",
        "method": [{"type": "action", "name": "a", "provider": {"type": "python",
                    "module": "os", "func": "getpid"}}],
    }  # fmt: skip
    if controls:
        log = str(tmp_path / f"{run_id}.log")
        document["controls"] = [
            {"name": "c", "provider": {"type": "python", "module": "ctkcontrol",
             "arguments": {"log": log}}}
        ]  # fmt: skip
    plan = make_plan(parse_experiment(document, f"{run_id}.json"), PlanOptions())
    return run_input(plan, document, run_id=run_id, task_queue="q")


def _hold(run: RunInput, sent: list[list[Any]]) -> None:
    """What the hook activity does: give the run's hooks the way to the workflow, call
    ``squall_configure`` (the worker now holds the run's controls)."""
    hooks = steps.prepared(run).hooks(run)
    assert hooks is not None
    hooks.signal = sent.append
    steps.perform_hook(HookInput(run=run, name="squall_configure"))


def test_a_journal_handed_to_hooks_reads_back_whole() -> None:
    journal = Journal(
        experiment={"title": "t"}, start="s", platform="p", node="n", squall_version="v",
        run_id="r1",
    )  # fmt: skip
    entry = ActivityRun(activity={"name": "a"}, start="s", status=RunStatus.FAILED, end="e")
    journal.run = [entry, None]
    journal.rollbacks = [ActivityRun(activity={"name": "r"}, start="s", end="e")]
    journal.before = HypothesisRun(True, [ActivityRun(activity={"name": "p"}, start="s")])
    journal.during = [HypothesisRun(False, [])]
    journal.interruption = {"kind": "safeguard", "name": "g", "reason": "why"}
    read = journal_from(json.loads(format_journal(journal.to_dict())))
    assert read.to_dict() == journal.to_dict()
    assert read.run_id == "r1"


def test_a_stop_travels_whole() -> None:
    stop = Interruption("SIGUSR2", "ungracefully", play_rollbacks=False, kind="signal")
    assert interruption_of(fields_of(stop)) == stop
    made_up = interruption_of(["n", "why", "made-up", True, False])
    assert made_up is not None and made_up.kind == "plugin"
    assert interruption_of([]) is None


def test_a_sigusr1_from_a_control_stops_the_runs_whose_controls_the_worker_holds(
    tmp_path: Path,
) -> None:
    held, other, plain = _run(tmp_path, "held-1"), _run(tmp_path, "other-1"), _run(tmp_path, "p-1")
    sent: list[list[Any]] = []
    _hold(held, sent)
    assert steps.prepared(other).hooks(other) is not None  # hooks, but not held here
    assert steps.prepared(plain).hooks(plain) is not None
    try:
        assert process_signalled("SIGUSR1") >= 1
        stops = [interruption_of(s) for s in sent]
        assert [s.name if s else None for s in stops] == ["SIGUSR1"]
        assert stops[0] is not None and stops[0].wait_background and stops[0].kind == "signal"
        assert process_signalled("SIGWINCH") == 0  # not a signal that stops a run
    finally:
        steps.perform_hook(HookInput(run=held, name="squall_cleanup"))
    assert not steps.prepared(held).holding()


def test_the_worker_s_cache_keeps_the_runs_whose_controls_it_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steps, "_CACHE_SIZE", 2)
    held = _run(tmp_path, "held-2")
    _hold(held, [])
    made = steps.prepared(held)
    try:
        for number in range(4):  # more runs than the cache keeps
            steps.prepared(_run(tmp_path, f"later-{number}", controls=False))
        assert steps.prepared(held) is made  # still there: its controls' state too
        assert "later-0" not in steps._CACHE  # the others went, oldest first
    finally:
        steps.perform_hook(HookInput(run=held, name="squall_cleanup"))
    for number in range(3):
        steps.prepared(_run(tmp_path, f"after-{number}", controls=False))
    assert "held-2" not in steps._CACHE  # cleaned up: it may go now
