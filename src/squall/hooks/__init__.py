"""EXTEND: one hook bus (pluggy) for controls, drivers' plugins and squall's built-ins."""

from squall.hooks.manager import HookCaller, make_plugin_manager
from squall.hooks.markers import ENTRY_POINT_GROUP, PROJECT, hookimpl, hookspec
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
