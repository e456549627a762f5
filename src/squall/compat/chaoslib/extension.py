"""``chaoslib.extension``: read and change an experiment's ``extensions`` list (controls
keep their own data there)."""

from __future__ import annotations

from typing import Any

from squall.compat.chaoslib.exceptions import InvalidExperiment

__all__ = [
    "get_extension",
    "has_extension",
    "merge_extension",
    "remove_extension",
    "set_extension",
    "validate_extensions",
]


def validate_extensions(experiment: dict[str, Any]) -> None:
    """Raises InvalidExperiment when an extension has no name."""
    for ext in experiment.get("extensions") or []:
        if not str(ext.get("name") or "").strip():
            raise InvalidExperiment("All extensions require a non-empty name")


def get_extension(experiment: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The first extension called ``name``, or None."""
    return next((e for e in experiment.get("extensions") or [] if e.get("name") == name), None)


def has_extension(experiment: dict[str, Any], name: str) -> bool:
    return get_extension(experiment, name) is not None


def set_extension(experiment: dict[str, Any], extension: dict[str, Any]) -> None:
    """Add ``extension``, replacing one of the same name (it moves to the end)."""
    remove_extension(experiment, str(extension.get("name")))
    experiment.setdefault("extensions", []).append(extension)


def remove_extension(experiment: dict[str, Any], name: str) -> None:
    found = get_extension(experiment, name)
    if found is not None:
        experiment["extensions"].remove(found)


def merge_extension(experiment: dict[str, Any], extension: dict[str, Any]) -> None:
    """Update the extension of the same name key by key, or add it."""
    found = get_extension(experiment, str(extension.get("name")))
    if found is None:
        experiment.setdefault("extensions", []).append(extension)
    else:
        found.update(extension)
