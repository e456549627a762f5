"""A control that changes the state it is handed, as the Chaos Toolkit's own test
fixtures do (chaostoolkit-lib tests/fixtures/controls/dummy.py, written anew here)."""

from __future__ import annotations

from typing import Any


def after_activity_control(context: Any, state: Any, **kwargs: Any) -> None:
    state["after_activity_control"] = True


def after_hypothesis_control(context: Any, state: Any, **kwargs: Any) -> None:
    state["after_hypothesis_control"] = True


def after_method_control(context: Any, state: Any, **kwargs: Any) -> None:
    state.append("after_method_control")


def after_rollback_control(context: Any, state: Any, **kwargs: Any) -> None:
    state.append("after_rollback_control")


def after_experiment_control(context: Any, state: Any, **kwargs: Any) -> None:
    state["after_experiment_control"] = True
