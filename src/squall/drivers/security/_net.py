"""Private helpers shared by the security probes: the loopback safety rule and URL checks.

The rule: a probe talks only to loopback targets (``127.0.0.0/8``, ``::1``, ``localhost`` and
names under ``.localhost``) unless the activity passes ``allow_non_loopback=True`` or the
experiment's configuration lists the target's network in ``squall_allowed_networks`` (the
driver-wide allowlist that squall's actions honour too, see ``squall.drivers._safety``).
Loopback names and literals are recognised without resolving anything, so the common case
sends no traffic; only a name checked against ``squall_allowed_networks`` is resolved.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from squall import ActivityFailed
from squall.drivers._safety import check_host

__all__: list[str] = []

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """True if ``host`` is a loopback IP literal or a loopback name (``localhost``...)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES or name.endswith((".localhost", ".localhost.")):
        return True
    try:
        return ipaddress.ip_address(name.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def require_host(
    host: str, allow_non_loopback: bool, configuration: Mapping[str, Any] | None = None
) -> str:
    """Return ``host`` if it may be probed; raise ``ActivityFailed`` if it may not."""
    if not isinstance(host, str) or not host.strip():
        raise ActivityFailed("a target host is required")
    name = host.strip().strip("[]")
    if allow_non_loopback or is_loopback(name):
        return name
    if (configuration or {}).get("squall_allowed_networks"):
        check_host(name, configuration)  # raises unless every address is allowed
        return name
    raise ActivityFailed(
        f"refusing to probe non-loopback host {host!r}: squall's security probes only talk "
        "to loopback targets unless the activity passes allow_non_loopback=true or the "
        "configuration's squall_allowed_networks covers it"
    )


def require_port(port: int) -> int:
    """Return ``port`` if it is a TCP port number; raise ``ActivityFailed`` otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ActivityFailed(f"port must be an integer between 1 and 65535, not {port!r}")
    return port


def require_url(
    url: str, allow_non_loopback: bool, configuration: Mapping[str, Any] | None = None
) -> str:
    """Return ``url`` if it is an http(s) URL to an allowed host; raise ``ActivityFailed``."""
    if not isinstance(url, str):
        raise ActivityFailed(f"url must be a string, not {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActivityFailed(f"url must be an absolute http:// or https:// URL, not {url!r}")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ActivityFailed(f"url {url!r} has a bad port: {exc}") from exc
    require_host(parts.hostname, allow_non_loopback, configuration)
    return url


def require_positive(name: str, value: float) -> float:
    """Return ``value`` if it is a positive number; raise ``ActivityFailed`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ActivityFailed(f"{name} must be a positive number, not {value!r}")
    return float(value)


def describe_error(exc: BaseException) -> str:
    """A short, stable description of a network error for the ``problems`` list."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
