"""The hook markers and names shared by specs, built-ins and third-party plugins."""

from __future__ import annotations

import pluggy

from squall.hooks.names import ENTRY_POINT_GROUP, PROJECT

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
