"""Names shared by the hook bus and the cheap entry-point scan (no pluggy import here)."""

from __future__ import annotations

__all__ = ["ENTRY_POINT_GROUP", "PROJECT"]

PROJECT = "squall"
#: Installed packages register plugins under this entry-point group.
ENTRY_POINT_GROUP = "squall.plugins"
