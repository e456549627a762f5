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
    return interpolate(value, variables)


_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_REST = _START | frozenset("0123456789")


def interpolate(value: str, variables: Mapping[str, Any]) -> str:
    """``string.Template(value).safe_substitute(variables)``, without ``string.Template``
    (importing ``string`` and compiling its pattern cost 2.6 M instructions at a run's
    first interpolation): ``$$`` is ``$``; ``$name`` and ``${name}`` (an ASCII identifier)
    are ``str(variables[name])`` when the name is known, else kept as written; any other
    ``$`` is kept. A property test compares the two."""
    out: list[str] = []
    done = 0
    index = value.find("$")
    while index >= 0:
        following = value[index + 1 : index + 2]
        if following == "$":
            out.append(value[done:index] + "$")
            done = index + 2
            index = value.find("$", done)
            continue
        braced = following == "{"
        start = index + 2 if braced else index + 1
        end = _name_end(value, start)
        if end > start and (not braced or value[end : end + 1] == "}"):
            stop = end + 1 if braced else end
            try:
                text = str(variables[value[start:end]])
            except KeyError:
                text = value[index:stop]
            out.append(value[done:index] + text)
            done = stop
            index = value.find("$", done)
        else:
            index = value.find("$", index + 1)
    if not out:
        return value
    out.append(value[done:])
    return "".join(out)


def _name_end(text: str, start: int) -> int:
    """Where the identifier (``[_a-z][_a-z0-9]*``, ASCII, any case: string.Template's)
    that starts at ``start`` ends; ``start`` when none starts there."""
    if start >= len(text) or text[start] not in _START:
        return start
    end = start + 1
    while end < len(text) and text[end] in _REST:
        end += 1
    return end


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
