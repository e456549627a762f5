"""One request of an http activity (``Hop``) and the redirect that may follow it.

The rules are httpx's (and requests'): 303, and 302 for any method but HEAD, become a
GET; so does a POST answered by 301; a GET drops the body; ``Authorization`` is dropped
when the redirect leaves the origin (except from http to https on the same host). Cookies
a response sets are sent along the rest of the chain, never to another activity: the
Chaos Toolkit opens a new session per activity.
"""

from __future__ import annotations

from squall.providers._url import split
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Protocol

    class _Response(Protocol):
        status: int
        headers: list[tuple[str, str]]

        def header(self, name: str) -> str | None: ...


__all__ = ["Hop", "next_hop"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: characters a URL may hold as they are (httpx would percent-encode the others)
_PLAIN = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_HEX = frozenset("0123456789abcdefABCDEF")
#: printable ASCII: what a header's name (but ":") and value (and tab) may hold here
_NAME = frozenset(map(chr, range(0x21, 0x7F))) - {":"}
_VALUE = frozenset(map(chr, range(0x20, 0x7F))) | {"\t"}


class _Cookie:
    __slots__ = ("domain", "host", "name", "secure", "value")

    def __init__(self, name: str, value: str, host: str, domain: str, secure: bool) -> None:
        self.name, self.value, self.host, self.domain, self.secure = (
            name,
            value,
            host,
            domain,
            secure,
        )

    def matches(self, hop: Hop) -> bool:
        if self.secure and hop.scheme != "https":
            return False
        if not self.domain:
            return hop.host == self.host
        return hop.host == self.domain or hop.host.endswith("." + self.domain)


class Hop:
    """One request: method, absolute URL, headers (without Host), body."""

    __slots__ = (
        "address",
        "body",
        "cookies",
        "headers",
        "host",
        "method",
        "plain",
        "scheme",
        "target",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        cookies: tuple[_Cookie, ...] = (),
    ) -> None:
        self.method, self.url, self.body, self.cookies = method, url, body, cookies
        self.headers = headers
        parts = split(url)
        self.scheme = parts.scheme
        self.host = parts.host
        self.target = parts.target  # path and query
        port = parts.port
        self.address = (self.host, port or _DEFAULT_PORTS.get(self.scheme, 0))
        #: plain http the small client can send exactly as httpx would
        self.plain = (
            self.scheme == "http"
            and port != -1
            and bool(self.host)
            and "@" not in parts.netloc
            and _plain(url)
            and _plain_headers(headers)
        )
        if cookies:
            sent = "; ".join(f"{c.name}={c.value}" for c in cookies if c.matches(self))
            if sent:
                self.headers = {**headers, "Cookie": sent}

    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.address[1]

    def head(self) -> bytes:
        """The request line and headers, as bytes, ending with the blank line."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.address[1] != _DEFAULT_PORTS[self.scheme]:
            host = f"{host}:{self.address[1]}"
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{key}: {value}" for key, value in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _plain(url: str) -> bool:
    if not _PLAIN.issuperset(url):
        return False
    index = url.find("%")
    while index >= 0:
        if len(url) < index + 3 or url[index + 1] not in _HEX or url[index + 2] not in _HEX:
            return False
        index = url.find("%", index + 1)
    return True


def _plain_headers(headers: dict[str, str]) -> bool:
    """Printable ASCII only, no empty name: anything else (CR/LF above all) is left to
    httpx to refuse."""
    return (
        "" not in headers
        and _NAME.issuperset("".join(headers))
        and _VALUE.issuperset("".join(headers.values()))
    )


def next_hop(hop: Hop, response: _Response) -> Hop | None:
    """The request that follows a redirect response, or None when it is not one."""
    if response.status not in _REDIRECTS:
        return None
    location = response.header("Location")
    if location is None:
        return None
    method = hop.method
    if response.status in (302, 303) and method != "HEAD":
        method = "GET"
    if response.status == 301 and method == "POST":
        method = "GET"
    from urllib.parse import urljoin

    url = urljoin(hop.url, location.strip())
    headers = {k: v for k, v in hop.headers.items() if k.lower() != "cookie"}
    following = Hop(method, url, {}, b"")  # to learn its origin
    if following.origin() != hop.origin() and not _https_upgrade(hop, following):
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    body = hop.body
    if method != hop.method and method == "GET":
        drop = ("content-length", "transfer-encoding")
        headers = {k: v for k, v in headers.items() if k.lower() not in drop}
        body = b""
    if following.scheme not in _DEFAULT_PORTS:
        from squall.providers._wire import WireError

        raise WireError(f"redirected to an unsupported URL {show_value(url)}")
    return Hop(method, url, headers, body, _cookies(hop, response))


def _https_upgrade(before: Hop, after: Hop) -> bool:
    return (
        before.host == after.host
        and before.scheme == "http"
        and after.scheme == "https"
        and before.address[1] == 80
        and after.address[1] == 443
    )


def _cookies(hop: Hop, response: _Response) -> tuple[_Cookie, ...]:
    values = [v for k, v in response.headers if k.lower() == "set-cookie"]
    if not values:
        return hop.cookies
    from http.cookies import CookieError, SimpleCookie

    cookies = {c.name: c for c in hop.cookies}
    for value in values:
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(value)
        except CookieError:
            continue
        for name, morsel in parsed.items():
            age = morsel["max-age"]
            if age and age.lstrip("-").isdigit() and int(age) <= 0:
                cookies.pop(name, None)  # deleted
                continue
            domain = morsel["domain"].lstrip(".").lower()
            cookies[name] = _Cookie(name, morsel.value, hop.host, domain, bool(morsel["secure"]))
    return tuple(cookies.values())
