"""A stand-in for ``chaoslib`` and ``logzero``, for Chaos Toolkit drivers and controls run
where ``chaostoolkit-lib`` is not installed.

Drivers often import a few names from ``chaoslib`` (types, exceptions, exit helpers,
discovery helpers) and ``logger`` from ``logzero``. When importing a driver, control or
notification module fails *only* because ``chaoslib`` or ``logzero`` is missing,
``import_module`` installs a finder that serves ``squall.compat.chaoslib`` (and
``squall.compat.logzero``) under those names, and imports the module again. When the
real packages are installed they are always used: the stand-in is never installed.

The exceptions carry the reference's class names, which is what squall matches on: an
``ActivityFailed`` raised by a driver fails its activity, an ``InterruptExecution``
raised by a control interrupts the run, exactly as the real ones do.
"""

from __future__ import annotations

import sys
from types import ModuleType

from squall._log import adopt_extension_loggers

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from squall.compat._finder import StandInFinder

__all__ = ["COVERED", "INSTALL_HINT", "import_module", "install"]

#: the modules the stand-in provides, and where they live
COVERED = {
    "chaoslib": "squall.compat.chaoslib",
    "chaoslib.types": "squall.compat.chaoslib.types",
    "chaoslib.exceptions": "squall.compat.chaoslib.exceptions",
    "chaoslib.exit": "squall.compat.chaoslib.exit",
    "chaoslib.discovery": "squall.compat.chaoslib.discovery",
    "chaoslib.discovery.discover": "squall.compat.chaoslib.discovery.discover",
    "chaoslib.settings": "squall.compat.chaoslib.settings",
    "chaoslib.deprecation": "squall.compat.chaoslib.deprecation",
    "chaoslib.extension": "squall.compat.chaoslib.extension",
    "chaoslib.notification": "squall.compat.chaoslib.notification",
    "chaoslib.run": "squall.compat.chaoslib.run",
    "logzero": "squall.compat.logzero",
}
_TOPS = ("chaoslib", "logzero")


_installed: StandInFinder | None = None


def install() -> bool:
    """Serve the stand-in for each of ``chaoslib``/``logzero`` that cannot be imported;
    True if it serves any (the real packages always win)."""
    global _installed
    if _installed is None:
        import importlib.util

        # importlib.abc (and importlib.resources behind it) costs ~15 ms: only here
        from squall.compat._finder import StandInFinder

        missing = frozenset(t for t in _TOPS if importlib.util.find_spec(t) is None)
        _installed = StandInFinder(missing)
        if missing:  # first: PathFinder would load a second copy of each module
            sys.meta_path.insert(0, _installed)
    return bool(_installed.tops)


#: the hint given when a driver or control needs a chaoslib name the stand-in lacks
INSTALL_HINT = (
    "install chaostoolkit-lib next to squall (pip install chaostoolkit-lib): the stand-in "
    "serves only the chaoslib names published drivers import; with the real package "
    "every name works"
)


def import_module(name: str) -> ModuleType:
    """``importlib.import_module``, retried with the stand-in when the module failed
    only because ``chaoslib`` or ``logzero`` is not installed.

    Raises:
        ImportError: as importlib does; when a ``chaoslib`` module or name the stand-in
            does not serve is missing, the message says so and the exception's
            ``squall_hint`` says to install chaostoolkit-lib.
    """
    try:
        module = _import(name)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".", 1)[0]
        if top not in _TOPS or not install() or top not in _installed_tops():
            raise
    except ImportError as exc:
        raise _stand_in_gap(exc) from None
    else:
        _share_settings()
        adopt_extension_loggers()
        return module
    try:
        module = _import(name)
    except ImportError as exc:
        raise _stand_in_gap(exc) from None
    adopt_extension_loggers()
    return module


def _import(name: str) -> ModuleType:
    """``importlib.import_module(name)``. A module already imported, and not being
    initialised by another thread, is what importlib would return (``sys.modules``'
    entry): it is returned without importing importlib, and warnings behind it (about
    2.6 M instructions of a run whose python activities call loaded modules, such as
    ``os.path``)."""
    module = sys.modules.get(name)
    if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
        import importlib

        return importlib.import_module(name)
    return module


def _share_settings() -> None:
    """The real ``chaoslib.settings.get_loaded_settings()`` returns what ``chaos
    --settings`` loaded (nothing, under squall): once a driver or control has imported
    it, it gets the command's settings file (the stand-in reads that file itself)."""
    real = sys.modules.get("chaoslib.settings")
    loaded = getattr(real, "loaded_settings", None)
    if loaded is None or not hasattr(loaded, "set") or loaded.get():
        return
    from squall.settings import default_settings_path, load_settings

    try:
        loaded.set(load_settings(default_settings_path()))
    except Exception:  # the command reports its own settings' problems
        return


def _stand_in_gap(exc: ImportError) -> ImportError:
    """``exc`` itself, or, when the stand-in lacks what it names, a copy saying so."""
    name = (exc.name or "").removeprefix("squall.compat.")  # the stand-in's own modules
    if name.split(".", 1)[0] not in _installed_tops():
        return exc
    gap = type(exc)(
        f"{exc} (chaostoolkit-lib is not installed and squall's stand-in does not serve "
        "this; install chaostoolkit-lib next to squall)",
        name=exc.name,
    )
    gap.squall_hint = INSTALL_HINT  # type: ignore[attr-defined]
    return gap


def _installed_tops() -> frozenset[str]:
    return _installed.tops if _installed is not None else frozenset()
