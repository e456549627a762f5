"""The phase machine: the rules of a run, once, for every engine.

It decides what happens next and nothing else: no I/O, no threads, no clock, no
randomness, so a Temporal workflow can replay it. It is a generator of :data:`Step`
records; an executor (the local engine's threads, or a Temporal workflow's activities)
performs each step and sends back its reply, or throws :class:`Halted` into the
machine when a stop interrupted the step (and any other exception when the step broke):

    steps = run_steps(plan, state, facts)
    reply = None
    while True:
        step = steps.send(reply)        # StopIteration: the run is over
        reply = perform(step)           # or steps.throw(Halted()) when stopped

What the machine reads of the world is the :class:`MachineState` the executor keeps
(a stop was asked, fail-fast tripped, an activity's failure policy aborted the method);
what it concludes goes into :class:`RunFacts` and the replies it asks for. The verdict is
``verdict.decide`` over the journal and those facts (``rules.finish_journal``).

Steps, and the reply each expects:

==========================  ==========================================================
``Announce(text)``          None (progress: "method", "rollbacks", ...)
``Hook(name)``              None (a lifecycle hook; see squall.hooks.spec)
``Hypothesis(phase)``       the HypothesisRun
``Continuous(start)``       None on start; on stop, why the checks broke ("" if not)
``Run(activity, phase)``    extra iterations asked for (hooks' repeat), an int
``Background(activity, p)`` None (started; its entry is recorded when it ends)
``Group(group, acts, p)``   None (runs the parallel group to its end)
``Join(phase)``             None (waits for the level's background activities)
``Decide(play)``            None (the rollback decision is recorded)
``RollbacksStart()``        None (a stop asked so far no longer stops the rollbacks)
``RollbacksEnd()``          names of the rollbacks played to their end, in order
``Finish(owed)``            None (the run ends; ``owed`` rollbacks were not played)
==========================  ==========================================================
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Generator, Iterable

from squall._record import Record
from squall.engine.verdict import RunFacts
from squall.experiment.groups import ParallelGroup, blocks
from squall.experiment.model import Activity, HypothesisStrategy, RollbackStrategy
from squall.journal.model import HypothesisRun, JournalStatus, RunStatus
from squall.journal.recorder import Phase
from squall.plan import Plan
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any, Protocol

__all__ = [
    "Announce",
    "Background",
    "Continuous",
    "Decide",
    "Finish",
    "Group",
    "Halted",
    "Hook",
    "Hypothesis",
    "Join",
    "MachineState",
    "RollbacksEnd",
    "RollbacksStart",
    "Run",
    "Step",
    "Steps",
    "StopFacts",
    "owed_after_crash",
    "recover_steps",
    "run_steps",
    "should_roll_back",
    "unplayed",
]


class Halted(Exception):
    """Thrown into the machine by the executor: a stop interrupted the step."""


if TYPE_CHECKING:

    class StopFacts(Protocol):
        """Why a run was stopped (squall.engine.context.Interruption has these)."""

        kind: str  # "signal", "control", "plugin", "deadline", "safeguard", "crash", "stop",
        # "stream" (its event stream could not be written)
        play_rollbacks: bool


if TYPE_CHECKING:

    class MachineState(Protocol):
        """What the executor knows of the world, read by the machine between steps."""

        @property
        def stopped(self) -> bool:
            """A stop was asked: nothing more starts (except the rollbacks owed)."""

        @property
        def interruption(self) -> StopFacts | None:
            """The first stop request, or None."""

        @property
        def fail_fast_tripped(self) -> bool:
            """The continuous hypothesis deviated too often (``fail_fast``)."""

        @property
        def aborted_by(self) -> str:
            """The method activity whose failure policy (``abort``) ended the method."""


class Announce(Record):
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class Hook(Record):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Hypothesis(Record):
    __slots__ = ("phase",)

    def __init__(self, phase: str) -> None:
        self.phase = phase


class Continuous(Record):
    __slots__ = ("start",)

    def __init__(self, start: bool) -> None:
        self.start = start


class Run(Record):
    __slots__ = ("activity", "phase")

    def __init__(self, activity: Activity, phase: str) -> None:
        self.activity = activity
        self.phase = phase


class Background(Record):
    __slots__ = ("activity", "phase")

    def __init__(self, activity: Activity, phase: str) -> None:
        self.activity = activity
        self.phase = phase


class Group(Record):
    __slots__ = ("activities", "group", "phase")

    def __init__(self, group: ParallelGroup, activities: tuple[Activity, ...], phase: str) -> None:
        self.group = group
        self.activities = activities
        self.phase = phase


class Join(Record):
    __slots__ = ("phase",)

    def __init__(self, phase: str) -> None:
        self.phase = phase


class Decide(Record):
    __slots__ = ("play",)

    def __init__(self, play: bool) -> None:
        self.play = play


class RollbacksStart(Record):
    __slots__ = ()


class RollbacksEnd(Record):
    __slots__ = ()


class Finish(Record):
    __slots__ = ("owed",)

    def __init__(self, owed: tuple[Activity, ...]) -> None:
        self.owed = owed


Step = (
    Announce
    | Hook
    | Hypothesis
    | Continuous
    | Run
    | Background
    | Group
    | Join
    | Decide
    | RollbacksStart
    | RollbacksEnd
    | Finish
)
#: the machine: steps out, replies in
if TYPE_CHECKING:
    Steps = Generator[Step, Any, None]

_BEFORE = (
    HypothesisStrategy.DEFAULT,
    HypothesisStrategy.BEFORE_METHOD_ONLY,
    HypothesisStrategy.CONTINUOUSLY,
)
_DURING = (HypothesisStrategy.DURING_METHOD_ONLY, HypothesisStrategy.CONTINUOUSLY)
_AFTER = (
    HypothesisStrategy.DEFAULT,
    HypothesisStrategy.AFTER_METHOD_ONLY,
    HypothesisStrategy.CONTINUOUSLY,
)


def run_steps(plan: Plan, state: MachineState, facts: RunFacts) -> Steps:
    """A whole run: hooks, hypothesis, method, hypothesis, rollback decision, rollbacks."""
    try:
        yield Hook("squall_configure")
        yield Hook("squall_before_experiment")
    except Halted:
        pass
    if not state.stopped:
        yield from _phases(plan, state, facts)
    play = should_roll_back(plan, state, facts)
    yield Decide(play)  # a recovery keeps to this decision
    owed = (yield from _rollbacks(plan, state, plan.rollbacks)) if play else ()
    yield Finish(owed)
    for name in ("squall_after_experiment", "squall_cleanup"):
        with contextlib.suppress(Halted):
            yield Hook(name)


def recover_steps(plan: Plan, state: MachineState, owed: tuple[Activity, ...]) -> Steps:
    """Play the rollbacks a stopped run still owes (``squall recover``)."""
    left = yield from _rollbacks(plan, state, owed)
    yield Finish(left)


def should_roll_back(plan: Plan, state: MachineState, facts: RunFacts) -> bool:
    """Rollback strategies; ``default`` plays them when the method started and the run
    was not interrupted by a signal or a control; a run stopped by its deadline
    (``runtime.timeout``), by a safeguard (kind ``safeguard``) or by a full disk (kind
    ``stream``) does play them (see docs/compatibility.md)."""
    interruption = state.interruption
    if interruption is not None and not interruption.play_rollbacks:
        return False
    strategy = plan.rollback_strategy
    if strategy is RollbackStrategy.NEVER:
        return False
    if strategy is RollbackStrategy.ALWAYS:
        return True
    if strategy is RollbackStrategy.DEVIATED:
        return facts.deviated
    return facts.method_started and (
        interruption is None or interruption.kind in ("deadline", "safeguard", "stop", "stream")
    )


def owed_after_crash(
    plan: Plan, decided: bool | None, method_started: bool, deviated: bool
) -> bool:
    """Whether a run that died (killed, crashed, its machine lost) owes its rollbacks.

    When the run had decided (``decided``: its strategy and any stop request had been
    weighed), that decision holds. Before that: ``default`` owes them once the method
    started (something may be injected); ``always`` always; ``never`` never;
    ``deviated`` only when the after-check deviated."""
    if decided is not None:
        return decided
    strategy = plan.rollback_strategy
    if strategy is RollbackStrategy.NEVER:
        return False
    if strategy is RollbackStrategy.DEVIATED:
        return deviated
    if strategy is RollbackStrategy.DEFAULT:
        return method_started
    return True


def unplayed(rollbacks: tuple[Activity, ...], played: Iterable[str]) -> tuple[Activity, ...]:
    """The rollbacks not yet played, in order (each played name counts once)."""
    done = Counter(played)
    owed = []
    for activity in rollbacks:
        if done[activity.name]:
            done[activity.name] -= 1
        else:
            owed.append(activity)
    return tuple(owed)


def _failed(result: HypothesisRun) -> bool:
    return any(p.status is RunStatus.FAILED for p in result.probes)


def _phases(plan: Plan, state: MachineState, facts: RunFacts) -> Steps:
    strategy = plan.hypothesis_strategy
    try:
        if plan.has_hypothesis and strategy in _BEFORE:
            yield Announce("steady-state hypothesis (before)")
            before: HypothesisRun = yield Hypothesis(Phase.BEFORE)
            if not before.steady_state_met:
                facts.gate_failed = True
                if _failed(before):
                    facts.status = JournalStatus.FAILED
                return
        if state.stopped:
            return
        yield from _method(plan, state, facts, plan.has_hypothesis and strategy in _DURING)
        if facts.status is not None:
            return
        if plan.has_hypothesis and strategy in _AFTER and not state.stopped:
            yield Announce("steady-state hypothesis (after)")
            after: HypothesisRun = yield Hypothesis(Phase.AFTER)
            facts.deviated = not after.steady_state_met
            if _failed(after):
                facts.status = JournalStatus.FAILED
    except Halted:
        pass  # the entry was recorded where it ran; the interruption says why
    except GeneratorExit:
        raise
    except BaseException as exc:  # a bug or a broken plugin: keep the journal, say so
        facts.status = JournalStatus.ABORTED
        facts.aborted_reason = f"{type(exc).__name__}: {exc}"


def _method(plan: Plan, state: MachineState, facts: RunFacts, during: bool) -> Steps:
    """The method (and the continuous hypothesis around it); sets the status when the
    checks broke, fail-fast tripped or an activity's failure policy aborted it."""
    if during:
        yield Continuous(True)
    facts.method_started = True
    broke = ""
    try:
        yield Announce("method")
        yield from _level(plan, state, plan.method, Phase.METHOD)
    finally:
        if during:
            broke = yield Continuous(False)
    if broke:
        facts.status = JournalStatus.ABORTED
        facts.aborted_reason = f"the continuous hypothesis raised {broke}"
    elif state.fail_fast_tripped:
        facts.status = JournalStatus.FAILED
    elif state.aborted_by:
        facts.status = JournalStatus.ABORTED
        facts.aborted_reason = (
            f"activity {show_value(state.aborted_by)} failed and its failure policy is abort"
        )


def _rollbacks(
    plan: Plan, state: MachineState, rollbacks: tuple[Activity, ...]
) -> Generator[Step, Any, tuple[Activity, ...]]:
    """Play the rollbacks; return those still owed. A stop lets the rollback that runs
    finish and leaves the rest owed (the executor may break into the running one on a
    second request: it is then owed again)."""
    yield RollbacksStart()
    with contextlib.suppress(Halted):
        yield from _level(plan, state, rollbacks, Phase.ROLLBACKS)
    played: list[str] = yield RollbacksEnd()
    return unplayed(rollbacks, played)


def _level(plan: Plan, state: MachineState, activities: tuple[Activity, ...], phase: str) -> Steps:
    """Activities in order (background ones started and waited for at the end; parallel
    groups as one block). The level's hooks run around them even when there are none
    (rollbacks the strategy plays), and the after-hook even when the level was
    interrupted, as the reference's controls do."""
    which = "rollbacks" if phase == Phase.ROLLBACKS else "method"
    method = phase == Phase.METHOD
    if phase == Phase.ROLLBACKS and activities:
        yield Announce("rollbacks")
    try:
        yield Hook(f"squall_before_{which}")
        for block in blocks(activities, plan.experiment.groups):
            if state.stopped or (method and _method_ended(state)):
                break  # fail-fast and abort stop the method, never the rollbacks
            if isinstance(block, tuple):
                yield Group(block[0], block[1], phase)
            elif block.background:
                yield Background(block, phase)
            else:  # the iterations a hook asked for (repeat) follow
                repeats = yield Run(block, phase)
                if repeats:
                    yield from _repeated(state, block, phase, repeats)
    finally:
        try:
            yield Join(phase)
        finally:
            yield Hook(f"squall_after_{which}")


def _repeated(state: MachineState, activity: Activity, phase: str, remaining: int) -> Steps:
    """The ``remaining`` iterations a hook asked for after a foreground activity ran
    (repeat; each may ask for more)."""
    iteration = 0
    while remaining > 0:
        if state.stopped or (phase == Phase.METHOD and _method_ended(state)):
            return
        remaining -= 1
        iteration += 1
        current = activity.replace(raw={**activity.raw, "iteration_index": iteration})
        remaining += (yield Run(current, phase)) or 0


def _method_ended(state: MachineState) -> bool:
    return state.fail_fast_tripped or bool(state.aborted_by)
