"""The installed drivers: ``squall.drivers`` entry points and ``chaostoolkit-*``
distributions whose top-level module has modules with ``__all__``."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

from squall.discovery.document import discover
from squall.discovery.errors import DiscoveryError

__all__ = ["installed_controls", "installed_drivers"]


def _top_level(info: str) -> list[str]:
    """Top-level module names a ``*.dist-info`` directory declares (top_level.txt, RECORD)."""
    names: list[str] = []
    for file, column in (("top_level.txt", False), ("RECORD", True)):
        try:
            with open(os.path.join(info, file), encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            path = line.split(",", 1)[0] if column else line.strip()
            top = path.split("/", 1)[0].removesuffix(".py")
            if top and not top.endswith((".dist-info", ".data")) and top != "..":
                names.append(top)
    return list(dict.fromkeys(names))


def _chaostoolkit_distributions(paths: list[str]) -> list[tuple[str, str]]:
    """(distribution, top-level module) of installed ``chaostoolkit-*`` drivers."""
    found: dict[str, str] = {}
    for directory in paths:
        try:
            entries = sorted(os.scandir(directory or "."), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not (name.endswith(".dist-info") and name.lower().startswith("chaostoolkit_")):
                continue
            dist = name.split("-", 1)[0].lower().replace("_", "-")
            if dist in found or dist in ("chaostoolkit-lib", "chaostoolkit"):
                continue
            for module in _top_level(entry.path):
                if importlib.util.find_spec(module) is not None:
                    found[dist] = module
                    break
    return list(found.items())


def installed_drivers(paths: list[str] | None = None) -> list[dict[str, Any]]:
    """One record per driver: name, module, distribution, and its activities (or the
    one-line error that kept them from being listed)."""
    from squall.hooks.discovery import find_entry_points

    drivers: list[dict[str, Any]] = [
        {
            "name": point.name,
            "module": point.value.partition(":")[0].strip(),
            "distribution": point.distribution,
        }
        for point in find_entry_points("squall.drivers", paths)
    ]
    for dist, module in _chaostoolkit_distributions(paths if paths is not None else sys.path):
        drivers.append({"name": dist, "module": module, "distribution": dist})
    listed = []
    for driver in drivers:
        try:
            document = discover(driver["module"], system_info=False)
        except DiscoveryError as exc:
            driver["error"] = str(exc)
            listed.append(driver)
            continue
        activities = document["activities"]
        if driver["name"] == driver["distribution"] and not activities:
            continue  # a chaostoolkit-* distribution without activities is not a driver
        driver["version"] = document.get("extension", {}).get("version")
        driver["activities"] = [
            {
                "name": a.get("name"),
                "type": a.get("type"),
                "mod": a.get("mod"),
                "doc": ((a.get("doc") or "").strip().splitlines() or [""])[0],
            }
            for a in activities
        ]
        listed.append(driver)
    return listed


def installed_controls(paths: list[str] | None = None) -> list[dict[str, Any]]:
    """The controls installed packages register under ``squall.controls`` (squall's own
    included): name, module, distribution and the first line of the module's doc (or
    the one-line error that kept it from being imported)."""
    from squall.compat import import_module
    from squall.discovery.errors import import_failure
    from squall.hooks.discovery import find_entry_points

    found = []
    for point in find_entry_points("squall.controls", paths):
        module = point.value.partition(":")[0].strip()
        control: dict[str, Any] = {
            "name": point.name,
            "module": module,
            "distribution": point.distribution,
        }
        try:
            doc = import_module(module).__doc__ or ""
        except BaseException as exc:  # SystemExit too: a control must not end squall
            control["error"] = str(import_failure(module, exc))
        else:
            control["doc"] = (doc.strip().splitlines() or [""])[0]
        found.append(control)
    return found
