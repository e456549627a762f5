"""The connection options every Temporal command shares (worker, run --engine temporal,
stop, runs attach, schedule): ``@temporal_options`` adds them and hands the command one
resolved :class:`~squall.temporal.options.ConnectOptions` as its ``connection`` argument.

The API key is never a flag (it would show in ``ps`` and shell history): it comes from
``$SQUALL_TEMPORAL_API_KEY`` or the settings file, and is masked like an experiment's
secrets in everything the process prints or records.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from squall.temporal.options import ConnectOptions, resolve_options

__all__ = ["connection_options", "resolve_connection", "temporal_options"]

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(dir_okay=False)
#: (flag, ConnectOptions field, click keyword arguments)
_OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "--address",
        "address",
        {
            "metavar": "HOST:PORT",
            "help": "Temporal server [$SQUALL_TEMPORAL_ADDRESS; localhost:7233].",
        },
    ),
    (
        "--namespace",
        "namespace",
        {"help": "Temporal namespace [$SQUALL_TEMPORAL_NAMESPACE; default]."},
    ),
    ("--task-queue", "task_queue", {"help": "Task queue [$SQUALL_TEMPORAL_TASK_QUEUE; squall]."}),
    (
        "--tls/--no-tls",
        "tls",
        {
            "default": None,
            "help": "TLS to the server (implied by the --tls-* options and an API key).",
        },
    ),
    ("--tls-cert", "tls_cert", {"type": _FILE, "help": "Client certificate (mTLS, PEM)."}),
    ("--tls-key", "tls_key", {"type": _FILE, "help": "Client certificate's private key (PEM)."}),
    (
        "--tls-ca",
        "tls_ca",
        {"type": _FILE, "help": "CA that signed the server's certificate (PEM)."},
    ),
    ("--tls-server-name", "tls_server_name", {"help": "Server name to verify, if not the host."}),
)


def _param(field: str) -> str:
    return f"temporal_{field}"


def resolve_connection(flags: dict[str, Any]) -> ConnectOptions:
    """The options from these command-line values, the environment and the settings file
    that ``squall --settings`` names (the current click context's)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    settings_path = obj.get("settings_path") if isinstance(obj, dict) else None
    options = resolve_options(flags, settings_path=settings_path)
    if options.api_key:  # masked in whatever this process prints or records from now on
        from squall.masking import register_secrets

        register_secrets(options.api_key)
    return options


def connection_options(func: F) -> F:
    """Declare the connection options only (parameters ``temporal_<field>``, None when
    not given), for a command that resolves them itself when it uses Temporal
    (``squall run`` resolves them only with ``--engine temporal``)."""
    command: Callable[..., Any] = func
    for flag, field, extra in reversed(_OPTIONS):
        command = click.option(flag, _param(field), **extra)(command)
    return command  # type: ignore[return-value]


def temporal_options(func: F) -> F:
    """Add the connection options to a click command; it receives ``connection``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {field: kwargs.pop(_param(field)) for _, field, _ in _OPTIONS}
        kwargs["connection"] = resolve_connection(flags)
        return func(*args, **kwargs)

    return connection_options(cast(F, wrapper))
