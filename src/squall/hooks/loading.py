"""Import the module of a control declaration (no pluggy import here)."""

from __future__ import annotations

from types import ModuleType

from squall.compat import import_module
from squall.errors import InputError, describe
from squall.experiment.model import ControlDecl
from squall.show import show_value

__all__ = ["load_control_module"]


def load_control_module(decl: ControlDecl) -> ModuleType:
    """Import a control's module.

    Raises:
        InputError: the module cannot be imported (a control that cannot run is never
            silently skipped: it may be the run's safeguard).
    """
    try:
        return import_module(decl.module or "")
    except BaseException as exc:  # SystemExit in the module's own code too
        raise InputError(
            f"control {show_value(decl.name)}: cannot import module {show_value(decl.module)}: "
            f"{describe(exc)}"
        ) from None
