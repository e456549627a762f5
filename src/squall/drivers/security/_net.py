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

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_host, connect_address

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
    return require_target(host, allow_non_loopback, configuration)[0]


def require_target(
    host: str, allow_non_loopback: bool, configuration: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """``(host, address)`` if ``host`` may be probed, else ``ActivityFailed``. ``address``
    is where to connect: for a name checked against ``squall_allowed_networks``, the very
    address the check allowed (never looked up again: DNS rebinding cannot move the
    connection); loopback names map to loopback; with ``allow_non_loopback``, the host."""
    if not isinstance(host, str) or not host.strip():
        raise ActivityFailed("a target host is required")
    name = host.strip().strip("[]")
    if allow_non_loopback:
        return name, name
    if is_loopback(name):
        return name, connect_address(name)
    if (configuration or {}).get("squall_allowed_networks"):
        return name, check_host(name, configuration)  # every address must be allowed
    raise ActivityFailed(
        f"refusing to probe non-loopback host {show_value(host)}: squall's security probes "
        "only talk to loopback targets unless the activity passes allow_non_loopback=true or the "
        "configuration's squall_allowed_networks covers it"
    )


def require_port(port: int) -> int:
    """Return ``port`` if it is a TCP port number; raise ``ActivityFailed`` otherwise."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ActivityFailed(f"port must be an integer between 1 and 65535, not {show_value(port)}")
    return port


def require_url(
    url: str, allow_non_loopback: bool, configuration: Mapping[str, Any] | None = None
) -> str:
    """Return ``url`` if it is an http(s) URL to an allowed host; raise ``ActivityFailed``."""
    url_pins(url, allow_non_loopback, configuration)
    return url


def url_pins(
    url: str, allow_non_loopback: bool, configuration: Mapping[str, Any] | None = None
) -> dict[str, str] | None:
    """``{host: address}`` for ``make_client(pins=...)`` if ``url`` is an http(s) URL to an
    allowed host (``require_target``); ``None`` (no pinning) with ``allow_non_loopback``;
    raise ``ActivityFailed`` otherwise."""
    if not isinstance(url, str):
        raise ActivityFailed(f"url must be a string, not {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActivityFailed(
            f"url must be an absolute http:// or https:// URL, not {show_value(url)}"
        )
    try:
        _ = parts.port
    except ValueError as exc:
        raise ActivityFailed(f"url {show_value(url)} has a bad port: {exc}") from exc
    host, address = require_target(parts.hostname, allow_non_loopback, configuration)
    return None if allow_non_loopback else {host: address}


def require_positive(name: str, value: float) -> float:
    """Return ``value`` if it is a positive number; raise ``ActivityFailed`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ActivityFailed(f"{name} must be a positive number, not {show_value(value)}")
    return float(value)


def describe_error(exc: BaseException) -> str:
    """A short, stable description of a network error for the ``problems`` list."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
