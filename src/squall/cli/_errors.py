"""click's usage errors, made without importing click until one is raised: the modules
``squall run`` needs stay importable without click (see ``squall.cli.fast``)."""

from __future__ import annotations

__all__ = ["bad_parameter", "usage_error"]


def bad_parameter(message: str, param_hint: str) -> Exception:
    """``click.BadParameter``: exit 2, naming the option (or setting) at fault."""
    import click

    return click.BadParameter(message, param_hint=param_hint)


def usage_error(message: str) -> Exception:
    """``click.UsageError``: exit 2."""
    import click

    return click.UsageError(message)
