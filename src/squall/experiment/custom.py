"""Tolerance types added by plugins (``squall_register_tolerances``): the parser accepts
a registered ``type`` and the check function decides it. Nothing is registered unless a
plugin is installed; a plain Chaos Toolkit experiment keeps its exact meaning."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall._record import Record
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CustomTolerance", "ToleranceCheck", "register_tolerance_type", "tolerance_check"]

#: ``check(tolerance, value)`` -> bool, or (bool, reason) to explain a miss.
if TYPE_CHECKING:
    ToleranceCheck = Callable[[Mapping[str, Any], Any], Any]

_CHECKS: dict[str, ToleranceCheck] = {}


def register_tolerance_type(name: str, check: ToleranceCheck) -> None:
    """Make ``{"type": name, ...}`` a valid tolerance decided by ``check``."""
    _CHECKS[name] = check


def tolerance_check(name: Any) -> ToleranceCheck | None:
    return _CHECKS.get(name) if isinstance(name, str) else None


class CustomTolerance(Record):
    """A tolerance of a plugin's type: its mapping, decided by the plugin's check."""

    __slots__ = ("check", "raw", "type")

    def __init__(self, *, type: str, raw: Mapping[str, Any], check: ToleranceCheck) -> None:
        self.type = type
        self.raw = raw
        self.check = check

    def decide(self, output: Any) -> tuple[bool, str]:
        """(met, why); a check that raises does not meet the tolerance and says why."""
        try:
            result = self.check(self.raw, output)
        except BaseException as exc:  # SystemExit too: a plugin must not end squall
            return (
                False,
                f"tolerance type {show_value(self.type)} raised {type(exc).__name__}: {exc}",
            )
        if isinstance(result, tuple) and len(result) == 2:
            return bool(result[0]), str(result[1] or "")
        met = bool(result)
        return (
            met,
            ""
            if met
            else f"tolerance type {show_value(self.type)} not met by {show_value(output)}",
        )
