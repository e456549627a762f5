"""TLS policy probes: which protocol versions and cipher suites a server accepts.

Each probe makes real handshakes offering one thing at a time. It keeps three answers apart:
the server *accepted* it, the server *refused* it, or this machine's OpenSSL *cannot offer* it
(``client_unsupported``), in which case nothing is known about the server. Targets must be
loopback unless ``allow_non_loopback=true`` is passed.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

from squall import ActivityFailed
from squall.drivers.security import _tls
from squall.drivers.security._net import require_port, require_positive, require_target

__all__ = ["tls_ciphers", "tls_protocols"]

#: Weak cipher families checked by ``tls_ciphers``, as OpenSSL cipher strings.
WEAK_FAMILIES = {
    "NULL": "eNULL",
    "anonymous": "aNULL",
    "EXPORT": "EXPORT",
    "RC4": "RC4",
    "DES": "DES",
    "3DES": "3DES",
    "MD5": "MD5",
    "static-RSA": "kRSA",
}
_FS_KEX = ("kx-ecdhe", "kx-dhe", "kx-any")


def tls_protocols(
    host: str = "127.0.0.1",
    port: int = 443,
    server_name: str | None = None,
    allowed: list[str] | None = None,
    required: list[str] | None = None,
    require_verified: bool = False,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Try a handshake with each of TLS 1.0, 1.1, 1.2 and 1.3, and report which one works.

    Arguments:
        host: address to connect to (loopback unless ``allow_non_loopback``).
        port: TCP port of the TLS server.
        server_name: name sent as SNI; defaults to ``host``.
        allowed: versions the server may accept (default ``["TLSv1.2", "TLSv1.3"]``);
            accepting any other version is a problem.
        required: versions the server must accept (default none; accepting no version
            at all is always a problem).
        require_verified: if true, a version this client cannot offer (so the server's
            answer is unknown) is a problem too.
        timeout: seconds allowed per connection and handshake.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (true when ``problems`` is empty), ``problems``, ``reachable`` (false if
        the port refused connections), ``host``, ``port``, ``versions`` (one entry per
        version: ``{"status": "accepted" | "refused" | "client_unsupported" | "error",
        "cipher": ..., "detail": ...}``), and the version lists ``accepted``, ``refused``,
        ``client_unsupported`` and ``errors``; ``openssl`` is this client's OpenSSL.
    """
    host, address = require_target(host, allow_non_loopback, configuration)
    port = require_port(port)
    timeout = require_positive("timeout", timeout)
    allowed_set = {_tls.version_label(v) for v in (allowed or ["TLSv1.2", "TLSv1.3"])}
    required_set = {_tls.version_label(v) for v in (required or [])}
    versions: dict[str, dict[str, Any]] = {}
    for label in _tls.VERSION_NAMES:
        versions[label] = _try_version(address, port, server_name or host, timeout, label)
    by_status: dict[str, list[str]] = {"accepted": [], "refused": [], "unreachable": []}
    by_status.update(client_unsupported=[], error=[])
    for label, entry in versions.items():
        by_status[entry["status"]].append(label)
    problems = []
    reachable = len(by_status["unreachable"]) < len(versions)
    if not reachable:
        problems.append(f"{host}:{port} is not reachable: {versions['TLSv1.3']['detail']}")
    for label in by_status["accepted"]:
        if label not in allowed_set:
            problems.append(f"the server accepts {label}, which is not allowed")
    for label in sorted(required_set - set(by_status["accepted"])):
        problems.append(f"the server does not accept required {label}")
    if reachable and not by_status["accepted"]:
        problems.append("the server accepted no TLS version")
    if require_verified:
        for label in by_status["client_unsupported"]:
            problems.append(f"{label} could not be tested: this client's OpenSSL cannot offer it")
    for label in by_status["error"]:
        problems.append(f"{label} could not be tested: {versions[label]['detail']}")
    return {
        "ok": not problems,
        "problems": problems,
        "reachable": reachable,
        "host": host,
        "port": port,
        "versions": versions,
        "accepted": by_status["accepted"],
        "refused": by_status["refused"],
        "client_unsupported": by_status["client_unsupported"],
        "errors": by_status["error"],
        "openssl": ssl.OPENSSL_VERSION,
    }


def _attempt(
    host: str, port: int, name: str, timeout: float, make_context: Callable[[], ssl.SSLContext]
) -> dict[str, Any]:
    """One handshake with the context ``make_context`` builds: ``accepted`` with the
    cipher, or why it did not happen (``client_unsupported``, or the classified error)."""
    entry: dict[str, Any] = {"status": "error", "cipher": None, "detail": None}
    try:
        context = make_context()
    except (ValueError, ssl.SSLError) as exc:
        entry.update(status="client_unsupported", detail=str(exc))
        return entry
    reason = _tls.client_cannot_offer(context)
    if reason is not None:
        entry.update(status="client_unsupported", detail=reason)
        return entry
    try:
        shake = _tls.handshake(host, port, name, timeout, context)
    except OSError as exc:
        status, detail = _tls.classify(exc)
        entry.update(status=status, detail=detail)
        return entry
    entry.update(status="accepted", cipher=shake.cipher, detail=shake.protocol)
    return entry


def _try_version(host: str, port: int, name: str, timeout: float, label: str) -> dict[str, Any]:
    return _attempt(
        host, port, name, timeout, lambda: _tls.probe_context(minimum=label, maximum=label)
    )


def tls_ciphers(
    host: str = "127.0.0.1",
    port: int = 443,
    server_name: str | None = None,
    families: list[str] | None = None,
    require_forward_secrecy: bool = True,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Report the cipher a typical client negotiates and which weak cipher families work.

    A first handshake offers OpenSSL's default cipher list (what a current client sends)
    and records the negotiated suite. Then, for each weak family, a handshake offering only
    that family (TLS 1.0 to 1.2, where such suites exist) shows whether the server takes it.

    Arguments:
        host: address to connect to (loopback unless ``allow_non_loopback``).
        port: TCP port of the TLS server.
        server_name: name sent as SNI; defaults to ``host``.
        families: weak families to try, among ``NULL`` (no encryption), ``anonymous`` (no
            authentication), ``EXPORT``, ``RC4``, ``DES``, ``3DES``, ``MD5`` and
            ``static-RSA`` (no forward secrecy). Default: all of them.
        require_forward_secrecy: a negotiated suite without forward secrecy is a problem.
        timeout: seconds allowed per connection and handshake.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (true when ``problems`` is empty), ``problems``, ``reachable``, ``host``,
        ``port``, ``negotiated`` (``{"cipher", "protocol", "bits", "forward_secrecy",
        "weak", "flags"}`` or ``null`` if the typical handshake failed), ``negotiated_error``,
        ``families`` (family → ``accepted`` | ``refused`` | ``client_unsupported`` |
        ``error``, with ``cipher`` when accepted), ``weak_accepted`` (list of families the
        server accepted) and ``client_unsupported`` (families this OpenSSL cannot offer).
    """
    host, address = require_target(host, allow_non_loopback, configuration)
    port = require_port(port)
    timeout = require_positive("timeout", timeout)
    chosen = list(WEAK_FAMILIES) if families is None else families
    unknown = [f for f in chosen if f not in WEAK_FAMILIES]
    if unknown:
        raise ActivityFailed(f"unknown cipher families {unknown} (use {list(WEAK_FAMILIES)})")
    name = server_name or host
    problems: list[str] = []
    negotiated: dict[str, Any] | None = None
    negotiated_error = None
    reachable = True
    try:
        context = _tls.probe_context(ciphers=_tls.TYPICAL_CIPHERS)
        shake = _tls.handshake(address, port, name, timeout, context)
    except OSError as exc:
        status, negotiated_error = _tls.classify(exc)
        reachable = status != "unreachable"
        if not reachable:
            problems.append(f"{host}:{port} is not reachable: {negotiated_error}")
    else:
        negotiated = describe_cipher(shake.cipher or "", shake.protocol, shake.bits)
        if negotiated["weak"]:
            flags = ", ".join(negotiated["flags"])
            problems.append(f"negotiated weak cipher {shake.cipher} ({flags})")
        if require_forward_secrecy and not negotiated["forward_secrecy"]:
            problems.append(f"negotiated cipher {shake.cipher} has no forward secrecy")
    results = {f: _try_family(address, port, name, timeout, f) for f in chosen} if reachable else {}
    weak_accepted = [f for f, entry in results.items() if entry["status"] == "accepted"]
    for family in weak_accepted:
        problems.append(f"the server accepts {family} cipher suites ({results[family]['cipher']})")
    return {
        "ok": not problems,
        "problems": problems,
        "reachable": reachable,
        "host": host,
        "port": port,
        "negotiated": negotiated,
        "negotiated_error": negotiated_error,
        "families": results,
        "weak_accepted": weak_accepted,
        "client_unsupported": [
            f for f, e in results.items() if e["status"] == "client_unsupported"
        ],
    }


def _try_family(host: str, port: int, name: str, timeout: float, family: str) -> dict[str, Any]:
    suites = f"{WEAK_FAMILIES[family]}:@SECLEVEL=0"
    entry = _attempt(
        host, port, name, timeout, lambda: _tls.probe_context(suites, maximum="TLSv1.2")
    )
    if entry["status"] == "unreachable":  # a server that drops the handshake refuses it
        entry["status"] = "refused"
    return entry


def describe_cipher(cipher: str, protocol: str | None, bits: int | None) -> dict[str, Any]:
    """Facts about one negotiated suite: weakness flags and forward secrecy."""
    upper = cipher.upper()
    checks = {
        "NULL": "NULL" in upper,
        "anonymous": upper.startswith(("ADH-", "AECDH-")) or "_ANON_" in upper,
        "EXPORT": "EXP" in upper.split("-")[0] or "EXPORT" in upper,
        "RC4": "RC4" in upper,
        "DES": "DES-CBC-" in upper or upper.endswith("DES-CBC"),
        "3DES": "DES-CBC3" in upper or "3DES" in upper,
        "MD5": upper.endswith("MD5"),
    }
    flags = [name for name, hit in checks.items() if hit]
    if bits is not None and bits < 128:
        flags.append(f"{bits}-bit")
    forward_secrecy = protocol == "TLSv1.3" or _kex(cipher).startswith(_FS_KEX)
    return {
        "cipher": cipher,
        "protocol": protocol,
        "bits": bits,
        "forward_secrecy": forward_secrecy,
        "weak": bool(flags),
        "flags": flags,
    }


def _kex(cipher: str) -> str:
    """OpenSSL's key-exchange tag (``kx-ecdhe``...) for a suite name, or ``""``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.set_ciphers(f"{cipher}:@SECLEVEL=0")
    except ssl.SSLError:
        return ""
    for entry in context.get_ciphers():
        if entry["name"] == cipher:
            return str(entry.get("kea") or "")
    return ""
