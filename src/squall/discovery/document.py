"""Build a discovery document (the Chaos Toolkit's ``discovery.json`` keys)."""

from __future__ import annotations

import platform
import uuid
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from squall._version import CHAOSLIB_VERSION
from squall.discovery.activities import activities_of
from squall.discovery.errors import DiscoveryError
from squall.discovery.resolve import distribution_of, import_package

__all__ = ["DiscoveryError", "discover", "platform_info"]


def platform_info() -> dict[str, str]:
    return {
        "system": platform.system(),
        "node": platform.node(),
        "release": platform.release(),
        "version": platform.version(),
        "machine": platform.machine(),
        "proc": platform.processor(),
        "python": platform.python_version(),
    }


def discover(package: str, *, system_info: bool = True) -> dict[str, Any]:
    """The discovery document of ``package`` (an import, distribution or driver name).

    A package with a ``discover()`` function (a Chaos Toolkit driver) is asked for it;
    any other package is walked (see ``squall.discovery.activities``).

    Raises:
        DiscoveryError: the package cannot be imported, or its ``discover()`` failed.
    """
    module = import_package(package)
    custom = getattr(module, "discover", None)
    if callable(custom):
        return _from_driver(module, custom, system_info)
    name, version = distribution_of(module)
    activities = activities_of(module)
    return {
        "chaoslib_version": CHAOSLIB_VERSION,
        "id": str(uuid.uuid4()),
        "target": module.__name__.rsplit(".", 1)[-1],
        "date": datetime.now(UTC).isoformat(),
        "platform": platform_info(),
        "extension": {"name": name, "version": version},
        "activities": activities,
        "system": None,
    }


def _from_driver(module: ModuleType, custom: Any, system_info: bool) -> dict[str, Any]:
    try:
        result = custom(discover_system=system_info)
    except BaseException as exc:  # SystemExit too: a driver must not end squall
        raise DiscoveryError(
            f"{module.__name__}.discover() raised {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(result, dict) or not isinstance(result.get("activities"), list):
        raise DiscoveryError(
            f'{module.__name__}.discover() did not return a discovery (no "activities" list)'
        )
    result.setdefault("chaoslib_version", CHAOSLIB_VERSION)
    return result
