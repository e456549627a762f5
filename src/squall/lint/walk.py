"""Walking the raw values of an experiment: every leaf with its JSON pointer and key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from squall.experiment._reader import pointer_join
from squall.experiment.model import Activity, ControlDecl, Experiment

__all__ = ["Leaf", "leaves", "provider_raw", "substituted_places"]

#: (pointer, nearest mapping key or "", value) of a scalar inside a structure
Leaf = tuple[str, str, Any]


def leaves(value: Any, pointer: str, key: str = "") -> Iterator[Leaf]:
    """Every scalar inside ``value``; list items keep the key of the list."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from leaves(v, pointer_join(pointer, k), str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from leaves(v, pointer_join(pointer, i), key)
    else:
        yield pointer, key, value


def provider_raw(activity: Activity) -> Mapping[str, Any]:
    raw = activity.raw.get("provider")
    return raw if isinstance(raw, Mapping) else {}


def _activity_places(activity: Activity) -> Iterator[tuple[str, Any]]:
    """The parts of an activity the engine substitutes ``${}`` in (not its name or doc)."""
    for key in ("provider", "pauses", "tolerance", "timeout"):
        if key in activity.raw:
            yield pointer_join(activity.pointer, key), activity.raw[key]
    yield from _control_places(activity.controls, activity.pointer + "/controls")


def _control_places(controls: tuple[ControlDecl, ...], pointer: str) -> Iterator[tuple[str, Any]]:
    for index, control in enumerate(controls):
        provider = control.raw.get("provider")
        if isinstance(provider, Mapping) and "arguments" in provider:
            yield f"{pointer}/{index}/provider/arguments", provider["arguments"]


def substituted_places(experiment: Experiment) -> Iterator[tuple[Activity | None, str, Any]]:
    """(activity or None, pointer, raw value) of everything ``${}`` substitution reaches,
    activities in the order they run: hypothesis, method, rollbacks."""
    if "title" in experiment.raw:
        yield None, "/title", experiment.raw["title"]
    yield from ((None, p, v) for p, v in _control_places(experiment.controls, "/controls"))
    if experiment.hypothesis is not None:
        where = "/steady-state-hypothesis/controls"
        for p, v in _control_places(experiment.hypothesis.controls, where):
            yield None, p, v
    for activity in experiment.activities():
        for p, v in _activity_places(activity):
            yield activity, p, v
