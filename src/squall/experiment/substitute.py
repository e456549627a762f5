"""``${name}`` substitution with the reference's rules (``string.Template`` semantics).

A string that is exactly one ``${name}`` placeholder becomes the typed value; other strings
are interpolated; unknown names are left as they are; ``$$`` escapes a dollar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["map_strings", "substitute"]


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Substitute recursively inside strings, lists (tuples become lists) and mappings."""
    return map_strings(value, lambda text: _one(text, variables) if "$" in text else text)


def map_strings(value: Any, change: Callable[[str], Any]) -> Any:
    """``value`` with ``change`` applied to every string inside lists (tuples become
    lists) and mappings."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, Mapping):
        return {k: map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(v, change) for v in value]
    return value


def _one(value: str, variables: Mapping[str, Any]) -> Any:
    if value.startswith("${") and value.endswith("}"):
        name = value[2:-1]
        if name in variables and name.isidentifier():
            return variables[name]
    from string import Template  # only needed when a string interpolates variables

    return Template(value).safe_substitute(variables)


def contains_placeholder(value: Any) -> bool:
    """True when substitution could change ``value`` (it holds a ``$`` somewhere)."""
    if type(value) is dict and "$" not in repr(value):
        return False  # one C-speed search: repr writes every ``$`` of parsed data as it is
    return _has_dollar(value)


def _has_dollar(value: Any) -> bool:
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, Mapping):
        return any(_has_dollar(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_dollar(v) for v in value)
    return False
