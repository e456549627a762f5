"""``chaoslib.deprecation``: the helper drivers call when a function moved."""

from __future__ import annotations

import warnings

__all__ = ["warn_about_moved_function"]


def warn_about_moved_function(message: str) -> None:
    warnings.warn(message, DeprecationWarning, stacklevel=2)
