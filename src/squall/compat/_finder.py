"""The meta-path finder that serves the stand-in under ``chaoslib``/``logzero`` (imported
only when a driver needs it: ``importlib.abc`` is slow to import)."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
from types import ModuleType

from squall.compat import COVERED

__all__ = ["StandInFinder"]


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)  # the same module under both names

    def exec_module(self, module: ModuleType) -> None:
        pass


class StandInFinder(importlib.abc.MetaPathFinder):
    """Serves the covered names whose real package is missing."""

    def __init__(self, tops: frozenset[str]) -> None:
        self.tops = tops

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".", 1)[0] not in self.tops:
            return None
        real = COVERED.get(fullname)
        if real is None:
            return None
        package = fullname in ("chaoslib", "chaoslib.discovery")
        return importlib.util.spec_from_loader(fullname, _Alias(real), is_package=package)
