"""Module attributes imported on first access (keeps ``import squall`` cheap)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported: `squall --version` stays cheap
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    namespace: dict[str, Any], targets: Mapping[str, str], owner: str
) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``targets[name]`` (a module) on first use and
    caches the attribute in ``namespace``."""

    def __getattr__(name: str) -> object:
        module = targets.get(name)
        if module is None:
            raise AttributeError(f"module {owner!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
