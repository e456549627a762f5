"""A control module written as for the Chaos Toolkit: every hook call is one line of
``$CONF_WORK/controls.log`` (``hook label [detail]``), so both engines' calls compare.

Arguments: ``label`` names the control in the log; ``interrupt_at`` (a hook name, e.g.
``before_activity``) and ``interrupt_on`` (an activity name) raise the Chaos Toolkit's
InterruptExecution there; ``retitle`` changes the experiment title before it runs.
"""

from __future__ import annotations

import os
from typing import Any


def _log(label: str, hook: str, detail: Any = "") -> None:
    path = os.path.join(os.environ.get("CONF_WORK", "."), "controls.log")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{hook} {label} {detail}".rstrip() + "\n")


def _maybe_interrupt(hook: str, name: str, interrupt_at: str, interrupt_on: str) -> None:
    if interrupt_at == hook and (not interrupt_on or interrupt_on == name):
        from chaoslib.exceptions import InterruptExecution

        raise InterruptExecution(f"stopped by control at {hook} {name}")


def configure_control(label: str = "", **kwargs: Any) -> None:
    _log(label, "configure")


def cleanup_control(label: str = "", **kwargs: Any) -> None:
    _log(label, "cleanup")


def before_experiment_control(
    context: Any,
    label: str = "",
    interrupt_at: str = "",
    interrupt_on: str = "",
    retitle: str = "",
    **kwargs: Any,
) -> None:
    if retitle:
        context["title"] = retitle
    _log(label, "before_experiment")
    _maybe_interrupt("before_experiment", "", interrupt_at, interrupt_on)


def after_experiment_control(context: Any, state: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "after_experiment", state.get("status"))


def before_hypothesis_control(
    context: Any, label: str = "", interrupt_at: str = "", interrupt_on: str = "", **kwargs: Any
) -> None:
    _log(label, "before_hypothesis")
    _maybe_interrupt("before_hypothesis", "", interrupt_at, interrupt_on)


def after_hypothesis_control(context: Any, state: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "after_hypothesis", state.get("steady_state_met"))


def before_method_control(
    context: Any, label: str = "", interrupt_at: str = "", interrupt_on: str = "", **kwargs: Any
) -> None:
    _log(label, "before_method")
    _maybe_interrupt("before_method", "", interrupt_at, interrupt_on)


def after_method_control(context: Any, state: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "after_method", len(state or []))


def before_rollback_control(context: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "before_rollback")


def after_rollback_control(context: Any, state: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "after_rollback", len(state or []))


def before_activity_control(
    context: Any, label: str = "", interrupt_at: str = "", interrupt_on: str = "", **kwargs: Any
) -> None:
    name = context.get("name")
    _log(label, "before_activity", name)
    _maybe_interrupt("before_activity", name, interrupt_at, interrupt_on)


def after_activity_control(context: Any, state: Any, label: str = "", **kwargs: Any) -> None:
    _log(label, "after_activity", f"{context.get('name')} {state.get('status')}")
