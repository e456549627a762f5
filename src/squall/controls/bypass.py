"""Skip activities by name or type; the journal marks them dry.

Skipped: those named in ``target_names``, those of ``target_type`` (``action`` or
``probe``), or every one with ``target_all: true``. The arguments of
``chaosaddons.controls.bypass`` (``target_type``, ``target_names``) work unchanged.

A skipped activity is not executed: its run entry has ``status: succeeded``, ``output:
null`` and ``"dry": true`` in its ``activity`` (how the journal marks a skipped activity).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from squall import show_value
from squall.controls._args import arguments_of

__all__: list[str] = []  # control functions, not activities (for `squall discover`)

log = logging.getLogger("squall.controls.bypass")


def validate_control(control: Mapping[str, Any]) -> None:
    arguments = arguments_of(control)
    names = arguments.get("target_names")
    if names is not None and not (
        isinstance(names, list) and all(isinstance(n, str) for n in names)
    ):
        raise ValueError("'target_names' must be a list of activity names")
    kind = arguments.get("target_type")
    if kind is not None and kind not in ("action", "probe"):
        raise ValueError(f"'target_type' must be 'action' or 'probe', found {show_value(kind)}")
    if not isinstance(arguments.get("target_all", False), bool):
        raise ValueError("'target_all' must be true or false")


def _targeted(
    activity: Mapping[str, Any],
    target_type: str | None,
    target_names: list[str] | None,
    target_all: bool,
) -> bool:
    return (
        target_all
        or (target_type is not None and activity.get("type") == target_type)
        or (bool(target_names) and activity.get("name") in (target_names or ()))
    )


def before_experiment_control(
    target_type: str | None = None,
    target_names: list[str] | None = None,
    target_all: bool = False,
) -> None:
    if target_all:
        log.warning("bypass: no activity will be executed")
    if target_type:
        log.warning("bypass: no %s will be executed", target_type)
    if target_names:
        log.warning("bypass: these activities will not be executed: %s", ", ".join(target_names))


def before_activity_control(
    context: dict[str, Any],
    target_type: str | None = None,
    target_names: list[str] | None = None,
    target_all: bool = False,
) -> None:
    """Mark the activity dry: squall does not execute it."""
    if _targeted(context, target_type, target_names, target_all):
        context["dry"] = True
