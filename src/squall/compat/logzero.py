"""The part of ``logzero`` drivers use: ``logger`` (a standard logging logger), and
``setup_logger``/``loglevel``/``logfile`` as harmless no-ops for squall's own logging."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["logfile", "logger", "loglevel", "setup_logger"]

logger = logging.getLogger("logzero_default")


def setup_logger(name: str | None = None, **kwargs: Any) -> logging.Logger:
    return logging.getLogger(name or "logzero_default")


def loglevel(level: int = logging.DEBUG, update_custom_handlers: bool = False) -> None:
    """squall's console and log file settings decide what is shown."""


def logfile(filename: str | None = None, **kwargs: Any) -> None:
    """squall's ``--log-file`` decides where logs go."""
