"""The hook markers and names shared by specs, built-ins and third-party plugins."""

from __future__ import annotations

import pluggy

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "hookimpl", "hookspec"]

PROJECT = "squall"
#: Installed packages register plugins under this entry-point group.
ENTRY_POINT_GROUP = "squall.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
