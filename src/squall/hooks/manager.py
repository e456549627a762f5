"""The plugin manager: specs, built-in plugins, installed plugins; isolated hook calls."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pluggy

from squall._log import get_logger
from squall.errors import Interrupted
from squall.hooks.discovery import find_entry_points
from squall.hooks.names import ENTRY_POINT_GROUP, PROJECT
from squall.hooks.regspecs import RegistrationSpec
from squall.hooks.specs import LifecycleSpec

__all__ = ["HookCaller", "make_plugin_manager"]

log = get_logger(__name__)


def make_plugin_manager(
    plugins: Iterable[object] = (), *, entry_points: bool = True, blocked: Iterable[str] = ()
) -> pluggy.PluginManager:
    """A manager with the lifecycle specs, the given plugins and (optionally) every plugin
    installed under the ``squall.plugins`` entry-point group, minus ``blocked`` names."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(LifecycleSpec)
    manager.add_hookspecs(RegistrationSpec)
    for name in blocked:
        manager.set_blocked(name)
    for plugin in plugins:
        manager.register(plugin)
    if entry_points:
        for point in find_entry_points(ENTRY_POINT_GROUP):
            if manager.is_blocked(point.name) or manager.get_plugin(point.name) is not None:
                continue
            plugin = point.load()
            manager.register(plugin() if isinstance(plugin, type) else plugin, name=point.name)
    manager.check_pending()
    return manager


class HookCaller:
    """Calls a hook's implementations one by one, so a failing plugin is reported by name
    and the others still run. ``Interrupted`` stops the run (it propagates)."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self._active = {
            name: bool(getattr(manager.hook, name).get_hookimpls())
            for name in dir(LifecycleSpec)
            if name.startswith("squall_")
        }

    def active(self, name: str) -> bool:
        """Whether any plugin implements this hook (callers skip building arguments)."""
        return self._active.get(name, False)

    def call(self, name: str, **kwargs: Any) -> None:
        if not self._active.get(name):
            return
        for impl in reversed(getattr(self.manager.hook, name).get_hookimpls()):
            try:
                impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Interrupted:
                raise
            except BaseException as exc:  # SystemExit too: a plugin must not end squall
                log.warning(
                    "plugin %r raised in %s: %s: %s",
                    impl.plugin_name,
                    name,
                    type(exc).__name__,
                    exc,
                )
