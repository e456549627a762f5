"""EXTEND: one hook bus (pluggy) for controls, plugins and squall's built-ins.

Names are loaded lazily: a run with no plugin and no control never imports pluggy.
"""

from __future__ import annotations

from squall._lazy import lazy_attributes

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from squall.hooks.manager import HookCaller, make_plugin_manager
    from squall.hooks.markers import hookimpl, hookspec
    from squall.hooks.names import ENTRY_POINT_GROUP, PROJECT
    from squall.hooks.view import RunView

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT",
    "HookCaller",
    "RunView",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
]

_LAZY = {
    "HookCaller": "squall.hooks.manager",
    "make_plugin_manager": "squall.hooks.manager",
    "ENTRY_POINT_GROUP": "squall.hooks.names",
    "PROJECT": "squall.hooks.names",
    "hookimpl": "squall.hooks.markers",
    "hookspec": "squall.hooks.markers",
    "RunView": "squall.hooks.view",
}


__getattr__ = lazy_attributes(globals(), _LAZY, __name__)
