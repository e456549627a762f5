"""Find installed plugins without importing ``importlib.metadata`` (the costliest import
of a run): read the ``entry_points.txt`` of each distribution on ``sys.path``."""

from __future__ import annotations

import os
import sys

__all__ = ["EntryPoint", "find_entry_points", "installed_entry_points"]


class EntryPoint:
    """One entry point: its name, ``module:attribute`` value and distribution."""

    __slots__ = ("distribution", "name", "value")

    def __init__(self, name: str, value: str, distribution: str) -> None:
        self.name = name
        self.value = value  # "module:attribute" or "module"
        self.distribution = distribution

    def load(self) -> object:
        import importlib

        module_name, _, attribute = self.value.partition(":")
        module = importlib.import_module(module_name.strip())
        target: object = module
        for part in filter(None, attribute.strip().split(".")):
            target = getattr(target, part)
        return target


def _section(text: str, group: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    inside = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            inside = line == f"[{group}]"
            continue
        if inside and "=" in line:
            name, value = line.split("=", 1)
            found.append((name.strip(), value.strip()))
    return found


def find_entry_points(group: str, paths: list[str] | None = None) -> list[EntryPoint]:
    """Entry points of ``group`` from every ``*.dist-info``/``*.egg-info`` on the path
    (the first distribution of a given name wins, as importlib.metadata does)."""
    seen: set[str] = set()
    found: list[EntryPoint] = []
    for directory in paths if paths is not None else sys.path:
        try:
            entries = os.scandir(directory or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if not entry.name.endswith((".dist-info", ".egg-info")):
                    continue
                stem = entry.name.rsplit(".", 1)[0]  # drop .dist-info / .egg-info
                distribution = stem.split("-", 1)[0].lower().replace("_", "-")
                if distribution in seen:
                    continue
                seen.add(distribution)
                try:
                    with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as f:
                        text = f.read()
                except OSError:
                    continue
                if f"[{group}]" in text:
                    found += [EntryPoint(n, v, distribution) for n, v in _section(text, group)]
    return found


_SEEN: dict[tuple[str, tuple[str, ...]], list[EntryPoint]] = {}


def installed_entry_points(group: str) -> list[EntryPoint]:
    """``find_entry_points(group)`` on ``sys.path``, scanned once per process for a
    given ``sys.path`` (a run asks several times; each scan reads every distribution)."""
    key = (group, tuple(sys.path))
    found = _SEEN.get(key)
    if found is None:
        found = _SEEN[key] = find_entry_points(group)
    return found
