"""The one error of discovery: a one-line message, shown as is (exit 2)."""

from __future__ import annotations

import sys

from squall.show import show_value

__all__ = ["DiscoveryError", "import_failure"]


class DiscoveryError(Exception):
    """The package cannot be discovered (one line, shown as is)."""


def import_failure(module: str, exc: BaseException) -> DiscoveryError:
    """Why ``module`` cannot be imported: the missing module (for an ImportError) or
    the exception its code raised, and the interpreter it must be installed into."""
    if isinstance(exc, ImportError):
        missing = exc.name or module
        return DiscoveryError(
            f"cannot import {show_value(module)}: {exc} (missing: {missing}); interpreter "
            f"{sys.executable}"
        )
    return DiscoveryError(
        f"cannot import {show_value(module)}: importing it raised {type(exc).__name__}: {exc} "
        f"(run `python -c 'import {module}'` to see the traceback); "
        f"interpreter {sys.executable}"
    )
