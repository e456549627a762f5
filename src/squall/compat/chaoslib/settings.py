"""``chaoslib.settings``: the settings a driver or control may read. They are squall's
settings file (the command's ``--settings``, else ``$SQUALL_SETTINGS``, else squall's
default path, named when read, not when imported): its keys (``controls``,
``notifications``, ``auths``...) have the Chaos Toolkit's shapes."""

from __future__ import annotations

import contextvars
from typing import Any

from squall.settings import default_settings_path
from squall.settings import load_settings as _load
from squall.settings import save_settings as _save

__all__ = ["CHAOSTOOLKIT_CONFIG_PATH", "get_loaded_settings", "load_settings", "save_settings"]

CHAOSTOOLKIT_CONFIG_PATH = default_settings_path()

_loaded: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "squall_compat_loaded_settings", default=None
)


def load_settings(settings_path: str | None = None) -> dict[str, Any]:
    """Read a settings file (by default the command's: see the module's doc; an empty
    mapping when there is none) and remember it."""
    settings = _load(settings_path or default_settings_path())
    _loaded.set(settings)
    return settings


def save_settings(settings: dict[str, Any], settings_path: str | None = None) -> None:
    _loaded.set(settings)
    _save(settings, settings_path or default_settings_path())


def get_loaded_settings() -> dict[str, Any]:
    """The settings last loaded here, else squall's settings file."""
    settings = _loaded.get()
    return settings if settings is not None else load_settings()
