"""Split an http(s) URL as ``urllib.parse.urlsplit`` does, without importing it for the
URLs most experiments use.

``urllib.parse`` costs 11.5 M instructions to import (about 3 ms, half of it
``ipaddress``, which it imports to check bracketed hosts). An ``http://`` or ``https://``
URL of plain characters whose authority is a host and an optional port (no userinfo, no
brackets, no zone) is split here by the same rules; anything else goes to ``urlsplit``,
which stays the reference (a property test compares the two).
"""

from __future__ import annotations

__all__ = ["Parts", "split"]

#: what the fast path accepts in a URL: unreserved, sub-delimiters, ``:/?#%``
_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#!$&'()*+,;=%"
)
_HOST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=")
_DIGITS = frozenset("0123456789")


class Parts:
    """What the http provider needs of a URL; ``port`` is None when the URL has none,
    -1 when it is not a valid port (``urlsplit`` raises then)."""

    __slots__ = ("host", "netloc", "port", "scheme", "target")

    def __init__(self, scheme: str, netloc: str, host: str, port: int | None, target: str):
        self.scheme, self.netloc, self.host, self.port, self.target = (
            scheme,
            netloc,
            host,
            port,
            target,
        )


def split(url: str) -> Parts:
    """``url``'s parts; ``ValueError`` for what ``urlsplit`` refuses."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("http", "https") and _SAFE.issuperset(url):
        end = len(rest)
        for delimiter in "/?#":
            found = rest.find(delimiter)
            if 0 <= found < end:
                end = found
        netloc, tail = rest[:end], rest[end:]
        host, colon, port = netloc.partition(":")
        if (
            host
            and _HOST.issuperset(host)
            and (not colon or (port and _DIGITS.issuperset(port) and len(port) < 6))
        ):
            number = int(port) if colon else None
            tail = tail.partition("#")[0]
            path, _, query = tail.partition("?")
            target = (path or "/") + ("?" + query if query else "")
            return Parts(scheme, netloc, host.lower(), _port(number), target)
    return _slow(url)


def _port(number: int | None) -> int | None:
    return -1 if number is not None and number > 65535 else number


def _slow(url: str) -> Parts:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Parts(parts.scheme.lower(), parts.netloc, (parts.hostname or "").lower(), port, target)
