"""The installed drivers: ``squall.drivers`` entry points and ``chaostoolkit-*``
distributions whose top-level module has modules with ``__all__``."""

from __future__ import annotations

import os
import sys
from typing import Any

from squall.discovery.document import DiscoveryError, discover

__all__ = ["installed_drivers"]


def _chaostoolkit_distributions(paths: list[str]) -> list[str]:
    found: list[str] = []
    for directory in paths:
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") and name.lower().startswith("chaostoolkit_"):
                dist = name.rsplit("-", 1)[0] if name.count("-") else name
                dist = dist.removesuffix(".dist-info").lower().replace("_", "-")
                if dist not in ("chaostoolkit-lib",) and dist not in found:
                    found.append(dist)
    return found


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
    for dist in _chaostoolkit_distributions(paths if paths is not None else sys.path):
        drivers.append({"name": dist, "module": dist, "distribution": dist})
    listed = []
    for driver in drivers:
        try:
            document = discover(driver["module"], system_info=False)
        except DiscoveryError as exc:
            driver["error"] = str(exc)
            listed.append(driver)
            continue
        activities = document["activities"]
        if driver["module"] == driver["distribution"] and not activities:
            continue  # a chaostoolkit-* distribution without activities is not a driver
        if driver["module"] == driver["distribution"] and activities:
            driver["module"] = str(activities[0].get("mod", "")).split(".")[0]
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
