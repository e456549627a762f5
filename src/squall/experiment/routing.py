"""The ``squall`` extension key of an experiment: where its steps run on the Temporal
engine (``squall: {task_queue: NAME}`` on the experiment, the steady-state hypothesis,
a parallel group or an activity; ``schedule_to_start`` and ``heartbeat`` seconds on the
experiment). The Chaos Toolkit ignores the key, and so does the local engine, but a
malformed one is an error for every engine (``squall validate``, ``squall lint`` and
any run say so, located), so an experiment is valid or not whatever runs it."""

from __future__ import annotations

from collections.abc import Mapping

from squall.errors import Problem
from squall.experiment.model import Experiment
from squall.show import show_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ROUTING_KEY", "SECONDS", "queue_of", "routing_problems"]

#: the extension key squall reads in an experiment (the Chaos Toolkit ignores it)
ROUTING_KEY = "squall"
#: the experiment's ``squall`` keys that are numbers of seconds
SECONDS = ("schedule_to_start", "heartbeat")


def queue_of(raw: Mapping[str, Any]) -> str | None:
    """The task queue ``raw`` (an experiment, hypothesis, group or activity) names."""
    extension = raw.get(ROUTING_KEY)
    if isinstance(extension, Mapping):
        queue = extension.get("task_queue")
        if isinstance(queue, str) and queue.strip():
            return queue.strip()
    return None


def routing_problems(experiment: Experiment) -> list[Problem]:
    """Routing keys that are malformed, or on a probe of the hypothesis (the hypothesis
    runs as one Temporal activity: route it as a whole)."""
    problems = []
    places: list[tuple[str, str, Any]] = [("", "the experiment", experiment.raw)]
    hypothesis = experiment.raw.get("steady-state-hypothesis")
    if isinstance(hypothesis, Mapping):
        places.append(("/steady-state-hypothesis", "the steady-state hypothesis", hypothesis))
        for index, probe in enumerate(hypothesis.get("probes") or ()):
            if isinstance(probe, Mapping) and queue_of(probe):
                problems.append(
                    Problem(
                        f"/steady-state-hypothesis/probes/{index}/{ROUTING_KEY}",
                        f"probe {show_value(probe.get('name'))} of the steady-state hypothesis "
                        "names a "
                        "task queue: the hypothesis runs as one activity, so route it as a "
                        "whole (steady-state-hypothesis: {squall: {task_queue: ...}})",
                    )
                )
    # only those that have the key (a key set to null is skipped below too): the words
    # that name a place are not written for each activity of a large experiment
    places += [
        (a.pointer, f"activity {show_value(a.name)}", a.raw)
        for a in experiment.activities()
        if ROUTING_KEY in a.raw
    ]
    places += [
        (g.pointer, f"parallel group {show_value(g.name)}", g.raw)
        for g in experiment.groups.values()
        if isinstance(g.raw, Mapping) and ROUTING_KEY in g.raw
    ]
    for pointer, where, raw in places:
        extension = raw.get(ROUTING_KEY) if isinstance(raw, Mapping) else None
        at = f"{pointer}/{ROUTING_KEY}"
        if extension is None:
            continue
        if not isinstance(extension, Mapping):
            message = f'{where}: "{ROUTING_KEY}" must be a mapping like {{task_queue: NAME}}'
            problems.append(Problem(at, message))
            continue
        queue = extension.get("task_queue")
        if "task_queue" in extension and not (isinstance(queue, str) and queue.strip()):
            message = f"{where}: {ROUTING_KEY}.task_queue must be a task queue's name"
            problems.append(Problem(f"{at}/task_queue", message))
    top = experiment.raw.get(ROUTING_KEY)
    seconds: Mapping[str, Any] = top if isinstance(top, Mapping) else {}
    for key in SECONDS:
        value = seconds.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
        ):
            message = f"the experiment: {ROUTING_KEY}.{key} must be a number of seconds > 0"
            problems.append(Problem(f"/{ROUTING_KEY}/{key}", message))
    return problems
