"""``chaoslib.discovery.discover``: what a driver's ``discover()`` calls, built on
squall's own discovery (same document shape as the reference's)."""

from __future__ import annotations

import importlib
import inspect
import uuid
from datetime import UTC, datetime
from typing import Any

from squall.compat.chaoslib import __version__
from squall.compat.chaoslib.exceptions import DiscoveryFailed

__all__ = [
    "discover_actions",
    "discover_activities",
    "discover_probes",
    "initialize_discovery_result",
    "portable_type_name",
]


def initialize_discovery_result(
    extension_name: str, extension_version: str, discovery_type: str
) -> dict[str, Any]:
    from squall.discovery.document import platform_info

    return {
        "chaoslib_version": __version__,
        "id": str(uuid.uuid4()),
        "target": discovery_type,
        "date": datetime.now(UTC).isoformat(),
        "platform": platform_info(),
        "extension": {"name": extension_name, "version": extension_version},
        "activities": [],
        "system": None,
    }


def discover_activities(extension_mod_name: str, activity_type: str) -> list[dict[str, Any]]:
    """The functions the module exports in ``__all__``, by name, described as
    ``activity_type`` the way chaoslib does (``configuration``/``secrets`` included)."""
    try:
        module = importlib.import_module(extension_mod_name)
    except ImportError:
        raise DiscoveryFailed(f"could not import extension module '{extension_mod_name}'") from None
    exported = getattr(module, "__all__", None)
    if exported is None:
        return []
    found = []
    for name, func in inspect.getmembers(module, inspect.isfunction):
        if exported and name not in exported:
            continue
        signature = inspect.signature(func)
        entry: dict[str, Any] = {
            "type": activity_type,
            "name": name,
            "mod": module.__name__,
            "doc": inspect.getdoc(func),
            "arguments": [],
        }
        if signature.return_annotation is not inspect.Signature.empty:
            entry["return_type"] = portable_type_name(signature.return_annotation)
        for param in signature.parameters.values():
            if param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD):
                continue
            argument: dict[str, Any] = {"name": param.name}
            if param.default is not inspect.Parameter.empty:
                argument["default"] = param.default
            if param.annotation is not inspect.Parameter.empty:
                argument["type"] = portable_type_name(param.annotation)
            entry["arguments"].append(argument)
        found.append(entry)
    return found


_NAMES = {
    None: "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    bytes: "byte",
    set: "set",
    tuple: "tuple",
    list: "list",
    dict: "mapping",
}


def portable_type_name(python_type: Any) -> str:
    """chaoslib's names for a type (its rules: ``typing.Mapping`` is ``object`` there,
    where ``squall discover`` says ``mapping``)."""
    for kind, name in _NAMES.items():
        if python_type is kind:
            return name
    text = str(python_type)
    for prefix, name in (
        ("typing.Dict", "mapping"),
        ("typing.List", "list"),
        ("typing.Set", "set"),
    ):
        if text.startswith(prefix):
            return name
    return "object"


def discover_actions(extension_mod_name: str) -> list[dict[str, Any]]:
    return discover_activities(extension_mod_name, "action")


def discover_probes(extension_mod_name: str) -> list[dict[str, Any]]:
    return discover_activities(extension_mod_name, "probe")
