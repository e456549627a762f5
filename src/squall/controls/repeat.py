"""Repeat an activity: each iteration is a run entry of its own.

An activity of the method or the rollbacks runs ``repeat_count`` times in all (the
arguments of ``chaosaddons.controls.repeat``). Each iteration is a run entry of its own,
its ``activity`` carrying ``iteration_index`` (1, 2, ...) as the Chaos Toolkit writes it.
With ``break_if_previous_iteration_failed: true`` the iterations stop after one that
failed to run (its status, not its output). Declare it on the activity to repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from squall.controls._args import arguments_of

if TYPE_CHECKING:
    from squall.hooks import RunView

__all__: list[str] = []  # control functions, not activities (for `squall discover`)


MAX_REPEAT = 100_000
"""More iterations than this is a mistake (each is a journal entry), not a plan."""


def validate_control(control: Mapping[str, Any]) -> None:
    arguments = arguments_of(control)
    count = arguments.get("repeat_count", 0)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_REPEAT:
        shown = f"{count!r:.40}"
        raise ValueError(
            f"'repeat_count' must be a whole number, 0 to {MAX_REPEAT:,}, found {shown}"
        )
    if not isinstance(arguments.get("break_if_previous_iteration_failed", False), bool):
        raise ValueError("'break_if_previous_iteration_failed' must be true or false")


def after_activity_control(
    context: Mapping[str, Any],
    state: Mapping[str, Any],
    run: RunView,
    repeat_count: int = 0,
    break_if_previous_iteration_failed: bool = False,
) -> None:
    """Ask for one more iteration until ``repeat_count`` runs are done."""
    done = int(context.get("iteration_index", 0)) + 1
    if done >= repeat_count:
        return
    if break_if_previous_iteration_failed and state.get("status") != "succeeded":
        return
    run.request_repeat(context, 1)
