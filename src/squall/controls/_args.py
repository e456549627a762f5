"""Argument checks shared by the built-in controls' ``validate_control``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["arguments_of"]


def arguments_of(control: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``provider.arguments`` of a control declaration (empty when absent).

    Raises:
        ValueError: they are not a mapping.
    """
    provider = control.get("provider")
    arguments = provider.get("arguments") if isinstance(provider, Mapping) else None
    if arguments is None:
        return {}
    if not isinstance(arguments, Mapping):
        raise ValueError("'provider.arguments' must be an object")
    return arguments
