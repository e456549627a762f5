"""A control module written as for the Chaos Toolkit: it records every call in a file."""

from __future__ import annotations

import json
import os
from typing import Any


class InterruptExecution(Exception):
    """Stands in for chaoslib.exceptions.InterruptExecution (matched by name)."""


_LOG: list[str] = []  # cleanup_control gets no arguments: it logs where configure did


def _log(path: str, event: str, **data: Any) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"event": event, **data}) + "\n")


def configure_control(
    experiment: Any = None,
    configuration: Any = None,
    secrets: Any = None,
    settings: Any = None,
    log: str = "",
    label: str = "",
    with_pid: bool = False,
) -> None:
    _LOG.append(log)
    extra = {"pid": os.getpid()} if with_pid else {}  # which process holds the controls
    _log(log, "configure", label=label, title=(experiment or {}).get("title"), **extra)


def cleanup_control() -> None:
    """Called without arguments, as the Chaos Toolkit calls it."""
    _log(_LOG.pop(0), "cleanup")


def before_experiment_control(context: Any, log: str = "", label: str = "", **kw: Any) -> None:
    _log(log, "before_experiment", label=label, title=context.get("title"))


def after_experiment_control(
    context: Any, state: Any, log: str = "", label: str = "", **kw: Any
) -> None:
    _log(log, "after_experiment", label=label, status=state.get("status"))


def before_hypothesis_control(context: Any, log: str = "", label: str = "", **kw: Any) -> None:
    _log(log, "before_hypothesis", label=label)


def after_hypothesis_control(
    context: Any, state: Any, log: str = "", label: str = "", **kw: Any
) -> None:
    _log(log, "after_hypothesis", label=label, met=state.get("steady_state_met"))


def before_method_control(context: Any, log: str = "", label: str = "", **kw: Any) -> None:
    _log(log, "before_method", label=label)


def after_method_control(
    context: Any, state: Any, log: str = "", label: str = "", **kw: Any
) -> None:
    _log(log, "after_method", label=label, runs=len(state))


def before_rollback_control(context: Any, log: str = "", label: str = "", **kw: Any) -> None:
    _log(log, "before_rollback", label=label)


def after_rollback_control(
    context: Any, state: Any, log: str = "", label: str = "", **kw: Any
) -> None:
    _log(log, "after_rollback", label=label, runs=len(state))


def before_activity_control(
    context: Any,
    configuration: Any = None,
    log: str = "",
    label: str = "",
    skip: str = "",
    stop_at: str = "",
    fail_at: str = "",
    **kw: Any,
) -> None:
    _log(log, "before_activity", label=label, name=context.get("name"))
    if context.get("name") == skip:
        context["dry"] = True  # what chaostoolkit-addons' bypass control does
    if context.get("name") == stop_at:
        raise InterruptExecution(f"stop requested at {stop_at}")
    if context.get("name") == fail_at:
        raise RuntimeError("a buggy control")
    if context.get("name") == kw.get("squall_stop_at"):
        from squall import Interrupted

        raise Interrupted("squall-style stop", "c")


def after_activity_control(
    context: Any, state: Any, log: str = "", label: str = "", **kw: Any
) -> None:
    _log(log, "after_activity", label=label, name=context.get("name"), status=state.get("status"))
