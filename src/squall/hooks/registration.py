"""What installed plugins register (providers, tolerances, secret backends, journal
sinks, CLI commands), collected once per process and only when a package declares a
``squall.plugins`` entry point."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall._log import get_logger
from squall.experiment.custom import register_tolerance_type
from squall.hooks.discovery import installed_entry_points
from squall.hooks.names import ENTRY_POINT_GROUP

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Registrations", "registrations", "reset_registrations"]

log = get_logger(__name__)

_BUILT_IN = {
    "providers": ("python", "process", "http"),
    "tolerances": ("range", "regex", "jsonpath", "probe"),
    "secret backends": ("env", "vault"),
}


class Registrations:
    """Everything the installed plugins registered."""

    __slots__ = ("commands", "providers", "secret_backends", "sinks", "tolerances")

    def __init__(self) -> None:
        self.providers: list[Any] = []
        self.tolerances: dict[str, Callable[..., Any]] = {}
        self.secret_backends: dict[str, Callable[..., Any]] = {}
        self.sinks: list[Callable[..., Any]] = []
        self.commands: list[Any] = []

    def add_providers(self, registry: Any) -> Any:
        """Add the plugins' provider types to a ``ProviderRegistry`` (returned)."""
        for provider in self.providers:
            if registry.get(provider.type) is None:
                registry.add(provider)
        return registry

    def ship(self, journal: Mapping[str, Any], path: str | None) -> None:
        """Give the final journal to every sink (a failing sink is logged)."""
        for sink in self.sinks:
            try:
                sink(journal, path)
            except BaseException as exc:  # SystemExit too: a plugin must not end squall
                log.warning(
                    "journal sink %s failed: %s: %s",
                    getattr(sink, "__qualname__", sink),
                    type(exc).__name__,
                    exc,
                )


_found: Registrations | None = None


def registrations() -> Registrations:
    """The plugins' registrations (collected on first use; pluggy is imported only when
    a ``squall.plugins`` entry point exists)."""
    global _found
    if _found is None:
        _found = Registrations()
        if installed_entry_points(ENTRY_POINT_GROUP):
            _collect(_found)
    return _found


def reset_registrations() -> None:
    """Forget them (tests; a program that installs a plugin while running)."""
    global _found
    _found = None


def _results(manager: Any, hook: str) -> list[tuple[str, Any]]:
    found = []
    for impl in reversed(getattr(manager.hook, hook).get_hookimpls()):
        try:
            result = impl.function()
        except BaseException as exc:  # SystemExit too: a plugin must not end squall
            log.warning(
                "plugin %r raised in %s: %s: %s", impl.plugin_name, hook, type(exc).__name__, exc
            )
            continue
        if result is not None:
            found.append((impl.plugin_name, result))
    return found


def _named(plugin: str, what: str, result: Any) -> dict[str, Callable[..., Any]]:
    if not isinstance(result, Mapping):
        log.warning("plugin %r: %s must be returned as {type: function}; ignored", plugin, what)
        return {}
    chosen = {}
    for name, func in result.items():
        if name in _BUILT_IN[what] or not callable(func):
            log.warning(
                "plugin %r: %s %r cannot be registered (built in, or not callable)",
                plugin,
                what,
                name,
            )
            continue
        chosen[str(name)] = func
    return chosen


def _listed(plugin: str, what: str, result: Any) -> list[Any]:
    if not isinstance(result, list | tuple):
        log.warning("plugin %r: %s must be returned as a list; ignored", plugin, what)
        return []
    return list(result)


def _collect(into: Registrations) -> None:
    from squall.hooks.manager import make_plugin_manager

    try:
        manager = make_plugin_manager()
    except BaseException as exc:  # an entry point that cannot be loaded: say which
        log.warning("cannot load the installed squall plugins: %s: %s", type(exc).__name__, exc)
        return
    for plugin, result in _results(manager, "squall_register_providers"):
        for provider in _listed(plugin, "providers", result):
            kind = getattr(provider, "type", None)
            if kind in _BUILT_IN["providers"] or not isinstance(kind, str):
                log.warning("plugin %r: provider type %r cannot be registered", plugin, kind)
                continue
            into.providers.append(provider)
    for plugin, result in _results(manager, "squall_register_tolerances"):
        into.tolerances.update(_named(plugin, "tolerances", result))
    for name, check in into.tolerances.items():
        register_tolerance_type(name, check)
    for plugin, result in _results(manager, "squall_register_secret_backends"):
        into.secret_backends.update(_named(plugin, "secret backends", result))
    for plugin, result in _results(manager, "squall_register_journal_sinks"):
        into.sinks += [s for s in _listed(plugin, "journal sinks", result) if callable(s)]
    for plugin, result in _results(manager, "squall_register_commands"):
        into.commands += _listed(plugin, "commands", result)
