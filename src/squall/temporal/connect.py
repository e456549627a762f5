"""The Temporal client squall uses: ``await connect(options)``.

temporalio is imported when ``connect`` is called, not when this module is imported.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from squall.errors import InputError, SquallError
from squall.show import show_value
from squall.temporal.options import ConnectOptions, resolve_options

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.converter import DataConverter
    from temporalio.runtime import Runtime
    from temporalio.service import TLSConfig

__all__ = [
    "ConnectOptions",
    "TemporalUnavailable",
    "connect",
    "data_converter",
    "explain_rpc_error",
    "resolve_options",
]


class TemporalUnavailable(SquallError):
    """The Temporal server cannot be reached (exit code 3: nothing could run)."""

    exit_code = 3


def data_converter(options: ConnectOptions) -> DataConverter:
    """Temporal's default converter with squall's codec: payloads encrypted when a key is
    configured (and, then, failure messages and stack traces too)."""
    from temporalio.converter import DataConverter

    from squall.temporal.codec import EncryptionCodec, TaggedFailures

    converter = dataclasses.replace(
        DataConverter.default, payload_codec=EncryptionCodec(options.keys)
    )
    if options.keys:
        converter = dataclasses.replace(converter, failure_converter_class=TaggedFailures)
    return converter


async def connect(options: ConnectOptions) -> Client:
    """A client of ``options.namespace`` on ``options.address``.

    Raises:
        TemporalUnavailable: the server cannot be reached or refuses the connection.
        InputError: a TLS file cannot be read, or the namespace does not exist.
    """
    from temporalio.client import Client

    try:
        client = await Client.connect(
            options.address,
            namespace=options.namespace,
            data_converter=data_converter(options),
            tls=_tls(options),
            api_key=options.api_key,
            runtime=_runtime(),
        )
    except RuntimeError as exc:
        refused = _refused_code(exc)
        if refused:  # the server answered: it refused who we said we are
            raise _credentials_refused(options, refused, _reason(exc)) from None
        raise TemporalUnavailable(
            f"cannot reach the Temporal server at {options.address} (from "
            f"{options.where('address')}): {_reason(exc)}; start one (temporal server start-dev) "
            "or name yours with --address or $SQUALL_TEMPORAL_ADDRESS"
        ) from None
    await _check_namespace(client, options)
    return client


#: the logger Temporal's own (Rust core) log lines are forwarded to: under ``squall``,
#: so they go out as squall's do (masked, ``--log-format json`` as JSON lines)
CORE_LOGGER = "squall.temporal.core"
_runtimes: list[Runtime] = []


def _runtime() -> Runtime:
    """The Temporal runtime of this process (one, shared by its clients and workers),
    whose core forwards its log lines (a worker's or a command line's "retried 5 times"
    while the server is away) to Python's logging under ``squall``: by default the core
    wrote them to stderr itself, ANSI-coloured, which broke ``--log-format json``."""
    if not _runtimes:
        from temporalio.runtime import (
            LogForwardingConfig,
            LoggingConfig,
            Runtime,
            TelemetryConfig,
            TelemetryFilter,
        )

        from squall._log import stdlib_logger

        forwarding = LogForwardingConfig(
            logger=stdlib_logger(CORE_LOGGER), append_target_to_name=False
        )
        logs = LoggingConfig(TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding)
        _runtimes.append(Runtime(telemetry=TelemetryConfig(logging=logs)))
    return _runtimes[0]


def explain_rpc_error(exc: BaseException, options: ConnectOptions) -> SquallError:
    """A squall error for an RPC error no command expected (one line, no traceback):
    refused credentials are exit 2 (the API key or client certificate is wrong), anything
    else exit 3 (the server could not do it)."""
    from temporalio.service import RPCError, RPCStatusCode

    if not isinstance(exc, RPCError):
        return TemporalUnavailable(f"Temporal at {options.address}: {exc}")
    if exc.status in (RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED):
        return _credentials_refused(options, exc.status.name, exc.message)
    return TemporalUnavailable(
        f"the Temporal server at {options.address} answered {exc.status.name}: {exc.message}"
    )


def _tls(options: ConnectOptions) -> TLSConfig | bool:
    if not options.tls:
        return False
    from temporalio.service import TLSConfig

    return TLSConfig(
        server_root_ca_cert=_read(options, "tls_ca"),
        domain=options.tls_server_name,
        client_cert=_read(options, "tls_cert"),
        client_private_key=_read(options, "tls_key"),
    )


def _read(options: ConnectOptions, field: str) -> bytes | None:
    path = getattr(options, field)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"{options.where(field)}: cannot read {path}: {exc}") from None


#: the gRPC codes (as the Rust client's debug text names them) of refused credentials
_REFUSED_CREDENTIALS = ("Unauthenticated", "PermissionDenied")


def _refused_code(exc: BaseException) -> str:
    """``UNAUTHENTICATED`` (or ``PERMISSION_DENIED``) when the Rust client's connect error
    says the server refused the credentials (``code: Unauthenticated``), else ""."""
    text = str(exc)
    for code in _REFUSED_CREDENTIALS:
        if f"code: {code}," in text:
            return "PERMISSION_DENIED" if code == "PermissionDenied" else code.upper()
    return ""


def _credentials_refused(options: ConnectOptions, code: str, message: str) -> InputError:
    """Exit 2: the server answered, and refused who we said we are."""
    return InputError(
        f"the Temporal server at {options.address} refused the credentials ({code}: "
        f"{message}); check the API key ($SQUALL_TEMPORAL_API_KEY, temporal.api_key) or "
        "the client certificate"
    )


def _reason(exc: BaseException) -> str:
    """The useful end of temporalio's message (it wraps the Rust error's debug text)."""
    text = str(exc).removeprefix("Failed client connect: ")
    for marker in ('message: "', 'ConnectError("'):
        if marker in text:
            return text.split(marker, 1)[1].split('"', 1)[0]
    return text


async def _check_namespace(client: Client, options: ConnectOptions) -> None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.service import RPCError, RPCStatusCode

    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=options.namespace)
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise InputError(
                f"{options.where('namespace')}: the namespace {show_value(options.namespace)} "
                f"does not exist on {options.address}"
            ) from None
        if exc.status != RPCStatusCode.PERMISSION_DENIED:  # a key scoped to the namespace
            raise TemporalUnavailable(
                f"the Temporal server at {options.address} answered: {exc.message}"
            ) from None
