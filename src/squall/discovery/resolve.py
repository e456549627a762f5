"""Turn what the user typed (import, distribution or driver name) into a module."""

from __future__ import annotations

import re
from types import ModuleType

from squall.compat import import_module
from squall.discovery.errors import import_failure
from squall.show import show_value

__all__ = ["distribution_of", "import_package", "top_level_of"]


def import_package(package: str) -> ModuleType:
    """Import ``package``: an import name, an installed distribution's name (mapped to
    its top-level module) or the name of a ``squall.drivers`` entry point."""
    candidates = [package]
    from squall.hooks.discovery import find_entry_points

    for point in find_entry_points("squall.drivers"):
        if point.name == package:
            candidates.insert(0, point.value.partition(":")[0].strip())
    candidates += [c for c in top_level_of(package) if c not in candidates]
    first: ImportError | None = None
    for name in candidates:
        if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            continue
        try:
            return import_module(name)
        except ImportError as exc:
            # the module exists but one of its own imports is missing: report that
            if exc.name and exc.name != name and not name.startswith(exc.name + "."):
                raise import_failure(name, exc) from exc
            first = first or exc
        except BaseException as exc:  # the module's own code is broken (or exits)
            raise import_failure(name, exc) from exc
    raise import_failure(package, first or ImportError(f"No module named {show_value(package)}"))


def top_level_of(distribution: str) -> list[str]:
    """Top-level import names of an installed distribution (``[]`` if none)."""
    from importlib import metadata

    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return []
    names: list[str] = []
    top_level = dist.read_text("top_level.txt")
    if top_level:
        names += [n.strip() for n in top_level.splitlines() if n.strip()]
    for file in dist.files or ():
        parts = file.parts
        if len(parts) >= 2 and parts[1] == "__init__.py" and not parts[0].endswith(".dist-info"):
            names.append(parts[0])
        elif len(parts) == 1 and parts[0].endswith(".py"):
            names.append(parts[0][:-3])
    guess = re.sub(r"[-.]+", "_", distribution).lower()
    names += [guess, guess.replace("chaostoolkit_", "chaos")]
    return list(dict.fromkeys(names))


def distribution_of(module: ModuleType) -> tuple[str, str]:
    """The (name, version) of the distribution that provides ``module``."""
    from importlib import metadata

    top = module.__name__.split(".", 1)[0]
    names = metadata.packages_distributions().get(top, [])
    for name in names:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        return top, metadata.version(top)
    except metadata.PackageNotFoundError:
        return top, str(getattr(module, "__version__", "unknown"))
