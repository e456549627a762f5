"""click's usage errors, made without importing click until one is raised: the modules
``squall run`` needs stay importable without click (see ``squall.cli.fast``)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["bad_parameter", "show_click_error", "usage_error"]


def bad_parameter(message: str, param_hint: str) -> Exception:
    """``click.BadParameter``: exit 2, naming the option (or setting) at fault."""
    import click

    return click.BadParameter(message, param_hint=param_hint)


def usage_error(message: str) -> Exception:
    """``click.UsageError``: exit 2."""
    import click

    return click.UsageError(message)


def show_click_error(exc: Exception) -> None:
    """A click error (``exc``: a ``click.ClickException``) on stderr, as click shows it,
    and the same lines in ``--log-file`` when that option was parsed before the error:
    the group's callback set the log file up (an error in a command's options or
    arguments), or click had already read the option when another global option was
    refused (the log file is then opened for the error alone)."""
    import io

    from squall._log import progress_sinks, to_log_file

    shown = io.StringIO()
    exc.show(file=shown)  # type: ignore[attr-defined]
    text = shown.getvalue()
    sys.stderr.write(text)
    if not progress_sinks:
        _open_log_file(getattr(exc, "ctx", None))
    to_log_file(text.rstrip("\n"))


def _open_log_file(ctx: Any) -> None:
    """The log file of a command line refused among its global options, if click read
    ``--log-file`` before the option it refused; a log file that cannot be opened is
    left alone (the console has the error)."""
    root = ctx.find_root() if ctx is not None else None
    params = root.params if root is not None else {}
    if not params.get("log_file") or params.get("no_log_file"):
        return
    from squall.cli.logs import setup_logging
    from squall.errors import SquallError

    try:
        setup_logging(False, params["log_file"], params.get("log_file_level") or "debug", "string")
    except (OSError, SquallError):  # --log-file's own error: the usage error comes first
        return
