"""Check and convert argument values by their portable type (``squall init``)."""

from __future__ import annotations

from typing import Any

import yaml

from squall.experiment.booleans import FALSE_WORDS, TRUE_WORDS
from squall.show import show_value

__all__ = ["CoercionError", "coerce"]

_CONTAINERS = {"list": list, "tuple": list, "set": list, "mapping": dict}


class CoercionError(ValueError):
    """A value does not fit its portable type."""


def coerce(value: Any, portable: str | None) -> Any:
    """``value`` as ``portable`` says; text (what a prompt gives) is parsed.

    Raises:
        CoercionError: the value does not fit.
    """
    if portable is None or portable == "object":
        return _parse(value) if isinstance(value, str) else value
    if portable == "null":
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null")):
            return None
        raise CoercionError(f"expected null, got {show_value(value)}")
    if portable == "boolean":
        return _boolean(value)
    if portable == "integer":
        return _number(value, int)
    if portable == "number":
        return _number(value, float)
    if portable in ("string", "byte"):
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        raise CoercionError(f"expected {portable}, got {show_value(value)}")
    kind = _CONTAINERS.get(portable)
    if kind is not None:
        parsed = _parse(value) if isinstance(value, str) else value
        if portable != "mapping" and isinstance(parsed, tuple | set | frozenset):
            parsed = list(parsed)
        if not isinstance(parsed, kind):
            raise CoercionError(f"expected {portable}, got {show_value(value)}")
        return parsed
    return value


def _parse(text: str) -> Any:
    """``text`` read as YAML (itself when it is not YAML): by the C loader when there is
    one, which refuses a nesting past 1,000 levels where the pure-Python one recurses
    until Python stops it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader) if text.strip() else text  # a safe loader
    except (yaml.YAMLError, RecursionError):
        return text


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise CoercionError(f"expected boolean, got {show_value(value)}")


def _number(value: Any, kind: type[int] | type[float]) -> int | float:
    name = "integer" if kind is int else "number"
    if isinstance(value, bool):
        raise CoercionError(f"expected {name}, got {show_value(value)}")
    if isinstance(value, int) or (kind is float and isinstance(value, float)):
        return kind(value)
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    raise CoercionError(f"expected {name}, got {show_value(value)}")
