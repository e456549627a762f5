"""squall.demo: a small real target (HTTPS API, auth, detector, webhook) for security chaos."""

from __future__ import annotations

from squall.demo.config import DEFAULT_BASE_PORT, MISCONFIGURATION, DemoError
from squall.demo.manage import ComponentStatus, DemoInfo, DemoStatus, down, reload, status, up

__all__ = [
    "DEFAULT_BASE_PORT",
    "MISCONFIGURATION",
    "ComponentStatus",
    "DemoError",
    "DemoInfo",
    "DemoStatus",
    "down",
    "reload",
    "status",
    "up",
]
