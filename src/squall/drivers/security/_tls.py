"""Private TLS helpers shared by the TLS probes: permissive client contexts and handshakes.

The probes look at what a server *offers*, so their client contexts verify nothing and run at
OpenSSL security level 0 (old protocols, small keys, SHA-1 signatures are all allowed on our
side); the judging happens afterwards, on facts.
"""

from __future__ import annotations

import socket
import ssl
import threading
import warnings
from dataclasses import dataclass

from squall import ActivityFailed, show_value
from squall.drivers._safety import connect_address

__all__: list[str] = []

#: Protocol labels used in every result, oldest first, mapped to ``ssl.TLSVersion`` names.
VERSION_NAMES = {
    "TLSv1.0": "TLSv1",
    "TLSv1.1": "TLSv1_1",
    "TLSv1.2": "TLSv1_2",
    "TLSv1.3": "TLSv1_3",
}
_ALIASES = {
    "tlsv1": "TLSv1.0",
    "tlsv1.0": "TLSv1.0",
    "1.0": "TLSv1.0",
    "tlsv1.1": "TLSv1.1",
    "1.1": "TLSv1.1",
    "tlsv1.2": "TLSv1.2",
    "1.2": "TLSv1.2",
    "tlsv1.3": "TLSv1.3",
    "1.3": "TLSv1.3",
}
#: ``SSLSocket.version()`` strings mapped to our labels.
_FROM_OPENSSL = {
    "TLSv1": "TLSv1.0",
    "TLSv1.1": "TLSv1.1",
    "TLSv1.2": "TLSv1.2",
    "TLSv1.3": "TLSv1.3",
}

#: X509_V_FLAG_NO_CHECK_TIME: verify a chain without judging validity dates.
NO_CHECK_TIME = 0x200000

PERMISSIVE_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
#: Everything that authenticates the server: a handshake with these always yields a certificate.
CERTIFICATE_CIPHERS = "ALL:!aNULL:@SECLEVEL=0"
TYPICAL_CIPHERS = "DEFAULT:@SECLEVEL=0"

# ``warnings.catch_warnings`` changes process-wide state; serialise our own uses of it.
_WARNINGS_LOCK = threading.Lock()


def version_label(name: str) -> str:
    """Normalise a protocol name (``TLSv1.2``, ``tlsv1.2``, ``1.2``...) to our label."""
    if not isinstance(name, str):
        raise ActivityFailed(f"a TLS version must be a string, not {show_value(name)}")
    label = _ALIASES.get(name.strip().lower().replace(" ", ""))
    if label is None:
        choices = ", ".join(VERSION_NAMES)
        raise ActivityFailed(f"unknown TLS version {show_value(name)} (use one of {choices})")
    return label


def label_of(openssl_version: str | None) -> str | None:
    """Our label for the version string an ``SSLSocket`` reports."""
    if openssl_version is None:
        return None
    return _FROM_OPENSSL.get(openssl_version, openssl_version)


def set_versions(context: ssl.SSLContext, minimum: str | None, maximum: str | None) -> None:
    """Pin the context's protocol range (labels); raises ``ValueError`` if impossible."""
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # Python deprecates naming TLS 1.0/1.1; probing for them is the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = ssl.TLSVersion[VERSION_NAMES[minimum]]
        if maximum is not None:
            context.maximum_version = ssl.TLSVersion[VERSION_NAMES[maximum]]


def probe_context(
    ciphers: str = PERMISSIVE_CIPHERS,
    minimum: str | None = "TLSv1.0",
    maximum: str | None = None,
) -> ssl.SSLContext:
    """A client context that verifies nothing and offers as much as OpenSSL allows.

    Raises ``ssl.SSLError`` if OpenSSL knows none of ``ciphers`` and ``ValueError`` if the
    protocol range cannot be set: both mean "this client cannot offer that".
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(ciphers)
    set_versions(context, minimum, maximum)
    return context


def client_cannot_offer(context: ssl.SSLContext) -> str | None:
    """Why this context cannot even produce a ClientHello, or ``None`` if it can.

    Runs the first handshake step into memory (no network): OpenSSL refuses locally when
    the protocol range is empty or no cipher is usable at the current security level.
    """
    tls = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=False)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return None
    except ssl.SSLError as exc:
        return getattr(exc, "reason", None) or str(exc)
    return None  # pragma: no cover - a handshake cannot complete without a peer


@dataclass(frozen=True, slots=True)
class Handshake:
    """What one completed handshake showed."""

    protocol: str | None
    cipher: str | None
    bits: int | None
    der: bytes | None


def handshake(
    host: str, port: int, server_name: str | None, timeout: float, context: ssl.SSLContext
) -> Handshake:
    """Connect, complete one TLS handshake, and return what was negotiated.

    Raises ``OSError`` (``ssl.SSLError`` included) as the socket layer does.
    """
    with (
        socket.create_connection((connect_address(host), port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=server_name or None) as tls,
    ):
        cipher = tls.cipher()
        return Handshake(
            protocol=label_of(tls.version()),
            cipher=cipher[0] if cipher else None,
            bits=cipher[2] if cipher else None,
            der=tls.getpeercert(binary_form=True),
        )


#: OpenSSL reasons that mean the *server* said no to what we offered.
_REFUSALS = (
    "ALERT_PROTOCOL_VERSION",
    "UNSUPPORTED_PROTOCOL",
    "WRONG_VERSION_NUMBER",
    "HANDSHAKE_FAILURE",
    "NO_SHARED_CIPHER",
    "INSUFFICIENT_SECURITY",
    "NO_PROTOCOLS_AVAILABLE",
    "VERSION_TOO_LOW",
    "VERSION_TOO_HIGH",
    "ILLEGAL_PARAMETER",
    "UNEXPECTED_EOF",
    "EOF",
)


def classify(exc: BaseException) -> tuple[str, str]:
    """Sort a handshake error into ``refused``, ``unreachable`` or ``error`` (+ detail)."""
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or ""
        detail = f"{reason or type(exc).__name__}: {exc.strerror or exc}"
        if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return "refused", "server closed the connection during the handshake"
        if any(token in reason.upper() for token in _REFUSALS):
            return "refused", detail
        return "error", detail
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable", "connection refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "refused", "server reset the connection during the handshake"
    if isinstance(exc, TimeoutError):
        return "error", "timed out"
    if isinstance(exc, socket.gaierror):
        return "unreachable", f"cannot resolve host: {exc}"
    if isinstance(exc, OSError):
        return "unreachable", f"{type(exc).__name__}: {exc.strerror or exc}"
    return "error", f"{type(exc).__name__}: {exc}"  # pragma: no cover
