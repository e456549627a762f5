"""Which ``${outputs.<name>}`` an activity may use, checked before anything runs.

An activity sees the outputs of the activities that finish before it starts:

- a steady-state probe: the probes listed before it;
- a method activity: every steady-state probe, and the method activities before it
  (not those of its own parallel group, which run at the same time);
- a rollback: every steady-state probe and method activity, and the rollbacks before it.

Only an activity's provider can use outputs (not its tolerance, a tolerance probe or
pauses), and configuration probes cannot. ``squall validate`` and
``squall lint`` report the rest through ``output_problems``.
"""

from __future__ import annotations

from collections.abc import Iterable

from squall.errors import Problem
from squall.experiment._reader import pointer_join
from squall.experiment.groups import blocks
from squall.experiment.model import Activity, ConfigProbe, Experiment
from squall.experiment.outputs import (
    OutputPathError,
    OutputRef,
    find_output_refs,
    mentions_outputs,
)
from squall.show import show_value

__all__ = ["output_problems", "visible_outputs"]


def visible_outputs(experiment: Experiment) -> list[tuple[Activity, frozenset[str]]]:
    """Each activity of the hypothesis, method and rollbacks with the names whose
    outputs it may use."""
    out: list[tuple[Activity, frozenset[str]]] = []
    seen: set[str] = set()
    probes = experiment.hypothesis.probes if experiment.hypothesis else ()
    for probe in probes:
        out.append((probe, frozenset(seen)))
        seen.add(probe.name)
    for activities in (experiment.method, experiment.rollbacks):
        for block in blocks(activities, experiment.groups):
            members = (block,) if isinstance(block, Activity) else block[1]
            visible = frozenset(seen)
            out += [(a, visible) for a in members]
            seen.update(a.name for a in members)
    return out


def output_problems(experiment: Experiment) -> list[Problem]:
    """Malformed expressions, names no earlier activity has, and outputs used where none
    are available."""
    problems: list[Problem] = []
    activities = experiment.activities()
    if not experiment.placeholders or not mentions_outputs(experiment.raw):  # one search
        # nothing uses outputs (the common case): skip building what each activity sees
        activities = []
    everything = {a.name for a in activities}
    for activity, visible in visible_outputs(experiment) if activities else ():
        for pointer, ref in _refs(activity):
            problem = _judge(ref, pointer, visible, everything)
            if problem is not None:
                problems.append(problem)
        problems += _outside_provider(activity)
    config = [v.probe for v in experiment.configuration.values() if isinstance(v, ConfigProbe)]
    problems += _nowhere(config, "dynamic configuration runs before any activity")
    return problems


def _outside_provider(activity: Activity) -> list[Problem]:
    """Expressions elsewhere than in the provider (tolerances, tolerance probes, pauses,
    controls) are not substituted: say so rather than compare with the literal text."""
    problems = []
    for key, value in activity.raw.items():
        if key == "provider":
            continue
        for pointer, ref in find_output_refs(value, pointer_join(activity.pointer, key)):
            expression = ref.expression if isinstance(ref, OutputRef) else str(ref)
            problems.append(
                Problem(
                    pointer,
                    f"{expression}: outputs can be used only in an activity's provider, "
                    f"not in its {show_value(key)}",
                    "pass the value through the provider's arguments instead",
                )
            )
    return problems


def _refs(activity: Activity) -> list[tuple[str, OutputRef | OutputPathError]]:
    if activity.ref is not None:
        return []
    return find_output_refs(activity.raw.get("provider"), activity.pointer + "/provider")


def _judge(
    ref: OutputRef | OutputPathError, pointer: str, visible: frozenset[str], everything: set[str]
) -> Problem | None:
    if isinstance(ref, OutputPathError):
        return Problem(pointer, str(ref), "see docs/reference/parallel-and-outputs.md")
    if ref.name in visible:
        return None
    if ref.name in everything:
        why = "it does not finish before this activity starts (it comes later, or runs in "
        why += "the same parallel group)"
    else:
        why = "no activity has that name"
    known = ", ".join(sorted(visible)) or "none"
    return Problem(
        pointer,
        f"{ref.expression}: no output of {show_value(ref.name)} is available here: {why}",
        f"outputs available here: {known}",
    )


def _nowhere(activities: Iterable[Activity], why: str) -> list[Problem]:
    problems = []
    for activity in activities:
        for pointer, ref in _refs(activity):
            expression = ref.expression if isinstance(ref, OutputRef) else str(ref)
            problems.append(
                Problem(pointer, f"{expression}: outputs are not available here: {why}")
            )
    return problems
