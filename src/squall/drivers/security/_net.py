"""Private helpers shared by the security probes: the loopback safety rule and URL checks.

The rule: a probe talks only to loopback targets (``127.0.0.0/8``, ``::1``, ``localhost`` and
names under ``.localhost``) unless the experiment passes ``allow_non_loopback=True``. Names
are never resolved to decide, so the check itself sends no traffic and cannot be fooled by DNS.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from squall import ActivityFailed

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


def require_host(host: str, allow_non_loopback: bool) -> str:
    """Return ``host`` if it may be probed; raise ``ActivityFailed`` if it may not."""
    if not isinstance(host, str) or not host.strip():
        raise ActivityFailed("a target host is required")
    if not allow_non_loopback and not is_loopback(host):
        raise ActivityFailed(
            f"refusing to probe non-loopback host {host!r}: squall's security probes only "
            "talk to loopback targets unless the activity passes allow_non_loopback=true"
        )
    return host.strip().strip("[]")


def require_port(port: int) -> int:
    """Return ``port`` if it is a TCP port number; raise ``ActivityFailed`` otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ActivityFailed(f"port must be an integer between 1 and 65535, not {port!r}")
    return port


def require_url(url: str, allow_non_loopback: bool) -> str:
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
    require_host(parts.hostname, allow_non_loopback)
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
