"""The phase machine on its own: driven by a scripted executor, with no engine around it.

Both engines (local threads, Temporal workflow) perform these steps; what is checked
here is the order they come in and what the machine concludes from the replies."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from squall.engine import machine
from squall.engine.machine import (
    Announce,
    Background,
    Decide,
    Finish,
    Halted,
    Hook,
    Hypothesis,
    Join,
    RollbacksEnd,
    Run,
    Step,
)
from squall.engine.verdict import RunFacts
from squall.experiment.model import RollbackStrategy
from squall.experiment.parse import parse_experiment
from squall.journal.model import ActivityRun, HypothesisRun, JournalStatus, RunStatus
from squall.plan import Plan, PlanOptions, make_plan


class Stop:
    kind = "signal"
    play_rollbacks = True


class State:
    def __init__(self) -> None:
        self.stopped = False
        self.interruption: Stop | None = None
        self.fail_fast_tripped = False
        self.aborted_by = ""


def _probe(name: str) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": name,
        "tolerance": True,
        "provider": {"type": "python", "module": "os", "func": "getcwd"},
    }


def _action(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "python", "module": "os", "func": "getcwd"},
        **extra,
    }


def _plan(rollback: RollbackStrategy | None = None, **extra: Any) -> Plan:
    doc = {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [_probe("p")]},
        "method": [_action("a"), _action("b", background=True), _action("c")],
        "rollbacks": [_action("r1"), _action("r2")],
        **extra,
    }
    return make_plan(parse_experiment(doc), PlanOptions(rollback_strategy=rollback))


def _held(met: bool, failed: bool = False) -> HypothesisRun:
    status = RunStatus.FAILED if failed else RunStatus.SUCCEEDED
    probe = ActivityRun(activity={"name": "p"}, start="", status=status)
    return HypothesisRun(steady_state_met=met, probes=[probe])


def drive(
    plan: Plan,
    state: State,
    answer: Any = None,
    *,
    stop_at: str = "",
) -> tuple[list[Step], RunFacts]:
    """Perform the run's steps with scripted replies; ``stop_at``: the activity whose
    step is interrupted by a stop (the executor throws Halted into the machine)."""
    facts = RunFacts()
    steps = machine.run_steps(plan, state, facts)
    seen: list[Step] = []
    played: list[str] = []
    reply: Any = None
    throw: BaseException | None = None
    while True:
        try:
            step = steps.throw(throw) if throw else steps.send(reply)
        except StopIteration:
            return seen, facts
        seen.append(step)
        reply, throw = None, None
        if isinstance(step, Hypothesis):
            reply = answer(step.phase) if answer else _held(True)
        elif isinstance(step, Run):
            if step.activity.name == stop_at:
                state.stopped, state.interruption = True, Stop()
                throw = Halted()
            else:
                reply = 0
                if step.phase == "rollbacks":
                    played.append(step.activity.name)
        elif isinstance(step, RollbacksEnd):
            reply = played


def _names(steps: list[Step]) -> list[str]:
    out = []
    for step in steps:
        if isinstance(step, Run | Background):
            out.append(f"{type(step).__name__}:{step.activity.name}")
        elif isinstance(step, Hypothesis):
            out.append(f"Hypothesis:{step.phase}")
        elif isinstance(step, Hook | Announce):
            continue
        else:
            out.append(type(step).__name__)
    return out


def test_a_held_run_walks_every_phase_in_order() -> None:
    steps, facts = drive(_plan(), State())
    assert _names(steps) == [
        "Hypothesis:hypothesis-before",
        "Run:a",
        "Background:b",
        "Run:c",
        "Join",
        "Hypothesis:hypothesis-after",
        "Decide",
        "RollbacksStart",
        "Run:r1",
        "Run:r2",
        "Join",
        "RollbacksEnd",
        "Finish",
    ]
    assert facts.method_started and not facts.deviated and facts.status is None
    decide = next(s for s in steps if isinstance(s, Decide))
    assert decide.play is True
    finish = next(s for s in steps if isinstance(s, Finish))
    assert finish.owed == ()


def test_the_hooks_pair_around_each_level_even_when_interrupted() -> None:
    steps, _ = drive(_plan(), State(), stop_at="a")
    hooks = [s.name for s in steps if isinstance(s, Hook)]
    assert hooks == [
        "squall_configure",
        "squall_before_experiment",
        "squall_before_method",
        "squall_after_method",
        "squall_after_experiment",
        "squall_cleanup",
    ], "a stop (signal) under the default strategy plays no rollback, and no rollback hooks"


def test_a_failed_gate_runs_no_method_and_plays_no_rollback() -> None:
    steps, facts = drive(_plan(), State(), lambda phase: _held(False, failed=True))
    assert _names(steps) == ["Hypothesis:hypothesis-before", "Decide", "Finish"]
    assert facts.gate_failed and not facts.method_started
    assert facts.status is JournalStatus.FAILED


def test_a_deviation_after_the_method_is_a_fact_and_the_deviated_strategy_plays() -> None:
    def answer(phase: str) -> HypothesisRun:
        return _held(phase == "hypothesis-before")

    _, facts = drive(_plan(), State(), answer)
    assert facts.deviated and facts.status is None
    steps, _ = drive(_plan(RollbackStrategy.DEVIATED), State(), answer)
    assert next(s for s in steps if isinstance(s, Decide)).play is True
    steps, _ = drive(_plan(RollbackStrategy.DEVIATED), State())
    assert next(s for s in steps if isinstance(s, Decide)).play is False


def test_a_stop_during_a_rollback_leaves_the_rest_owed() -> None:
    steps, _ = drive(_plan(RollbackStrategy.ALWAYS), State(), stop_at="r1")
    finish = next(s for s in steps if isinstance(s, Finish))
    assert [a.name for a in finish.owed] == ["r1", "r2"]
    assert "Run:r2" not in _names(steps), "nothing starts after a stop"


@pytest.mark.parametrize(
    ("kind", "plays"), [("signal", False), ("stop", True), ("safeguard", True)]
)
def test_the_default_strategy_weighs_what_stopped_the_method(kind: str, plays: bool) -> None:
    class Kind(Stop):
        pass

    Kind.kind = kind
    state = State()
    facts = RunFacts()
    facts.method_started = True
    state.interruption = Kind()
    assert machine.should_roll_back(_plan(), state, facts) is plays


def test_abort_ends_the_method_and_the_verdict_says_why() -> None:
    state = State()
    plan = _plan()
    facts = RunFacts()
    steps = machine.run_steps(plan, state, facts)
    seen = [steps.send(None)]
    while not (isinstance(seen[-1], Run) and seen[-1].activity.name == "a"):
        seen.append(steps.send(_held(True) if isinstance(seen[-1], Hypothesis) else None))
    state.aborted_by = "a"
    rest = [steps.send(0)]
    while not isinstance(rest[-1], Decide):
        rest.append(steps.send(None))
    assert "Run:c" not in _names(rest) and "Hypothesis:hypothesis-after" not in _names(rest)
    assert _names(rest)[0] == "Join", "the level still waits for its background activities"
    assert facts.status is JournalStatus.ABORTED and '"a"' in facts.aborted_reason


def test_a_broken_step_aborts_the_run_and_keeps_the_reason() -> None:
    facts = RunFacts()
    steps = machine.run_steps(_plan(), State(), facts)
    step = steps.send(None)
    while not isinstance(step, Run):
        step = steps.send(_held(True) if isinstance(step, Hypothesis) else None)
    step = steps.throw(RuntimeError("plugin bug"))
    assert isinstance(step, Join), "the level is closed first"
    while not isinstance(step, Decide):
        step = steps.send(None)
    assert facts.status is JournalStatus.ABORTED
    assert facts.aborted_reason == "RuntimeError: plugin bug"


def test_the_same_replies_give_the_same_steps() -> None:
    """Deterministic: a Temporal workflow replays the machine from its history."""
    first, _ = drive(_plan(), State(), stop_at="c")
    again, _ = drive(_plan(), State(), stop_at="c")
    assert [repr(s) for s in first] == [repr(s) for s in again]


def test_a_crashed_run_owes_what_its_strategy_said() -> None:
    plan = _plan()
    assert machine.owed_after_crash(plan, None, True, False) is True
    assert machine.owed_after_crash(plan, None, False, False) is False
    assert machine.owed_after_crash(plan, False, True, False) is False, "a decision holds"
    never = _plan(RollbackStrategy.NEVER)
    assert machine.owed_after_crash(never, None, True, True) is False


def test_the_machine_itself_does_no_input_or_output() -> None:
    """No I/O, threads, clock or randomness in the machine's own code (the modules it
    imports are data: models, the plan, the verdict)."""
    tree = ast.parse(inspect.getsource(machine))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    forbidden = {"os", "time", "threading", "socket", "subprocess", "random", "signal", "io"}
    assert not imported & forbidden
    assert all(
        name.startswith(("squall.", "collections", "contextlib", "typing", "__future__"))
        for name in imported
    ), imported
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"open", "print", "input"}


def test_every_step_is_documented_in_the_architecture_page() -> None:
    from pathlib import Path
    from typing import get_args

    page = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text()
    rows = {line.split("|")[1].strip(" `") for line in page.splitlines() if line.startswith("| `")}
    assert rows == {step.__name__ for step in get_args(Step)}
