"""The proxy environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``), read
once, and the proxy a request goes through.

The variables are read as the Chaos Toolkit's ``requests`` reads them (Python's
``urllib.request.getproxies_environment``): names in any case, the lower-case spelling
winning over the upper-case one (an empty lower-case value unsets it), ``HTTP_PROXY``
ignored in a CGI script (``REQUEST_METHOD`` set); ``http`` and ``https`` URLs each use
their scheme's proxy, else ``ALL_PROXY``; a proxy without a scheme is ``http://``.

Two rules are squall's own (docs/reference/providers.md#proxies, docs/compatibility.yaml):

- **Loopback is never proxied**: ``localhost``, ``*.localhost``, ``127.0.0.0/8`` and
  ``::1`` (a proxy would reach its own loopback, not the caller's).
- **``NO_PROXY`` matches whole labels**: ``example.com`` (or ``.example.com``,
  ``*.example.com``) covers ``example.com`` and ``api.example.com``, not
  ``badexample.com`` (``requests`` compares bare suffixes); ``host:port`` covers that
  port only; an address or a CIDR network (``10.0.0.0/8``, ``::1``) covers the
  addresses in it; ``*`` covers everything.

Which clients use it: the http provider, and the security probes run with
``allow_non_loopback: true`` (no allow-list is involved). A host checked against an
allow-list (``squall_allowed_networks``) is connected to directly, at the checked
address, and destructive actions (flood, brute force) never use a proxy: a proxy would
carry their traffic to a machine the allow-list never named.

This module imports nothing of squall but ``squall.masking`` (a proxy's password is
registered as a secret when the settings are read).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from ipaddress import IPv4Address, IPv6Address

__all__ = ["Proxies", "ProxyError", "redact_proxy"]

_SCHEMES = ("http", "https")
_LOCAL_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


class ProxyError(ValueError):
    """A proxy variable squall cannot use (a scheme other than http/https, no host)."""


class Proxies:
    """The proxy settings of an environment (``os.environ`` by default), read once."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        found = _environment_proxies(os.environ if environ is None else environ)
        #: scheme -> proxy URL (``http``, ``https``), after ALL_PROXY's fallback
        self.urls: dict[str, str] = {}
        for scheme in _SCHEMES:
            url = found.get(scheme) or found.get("all")
            if url:
                self.urls[scheme] = url if "://" in url else f"http://{url}"
        entries = [e for e in found.get("no", "").replace(" ", "").lower().split(",") if e]
        self._every = "*" in entries
        #: NO_PROXY's entries as (host, domain or network, port or None)
        self._no_proxy = [_split_entry(entry) for entry in entries]
        self._decided: dict[tuple[str, str, int], str | None] = {}
        if self.urls:
            _register_passwords(self.urls.values())

    def __bool__(self) -> bool:
        """Whether any request may go through a proxy."""
        return bool(self.urls) and not self._every

    def for_url(self, scheme: str, host: str, port: int) -> str | None:
        """The proxy URL for a request to ``scheme://host:port``, or None (direct).

        Raises:
            ProxyError: the proxy variable for this request cannot be used.
        """
        if not self:
            return None
        key = (scheme, host, port)
        if key not in self._decided:
            proxy = self.urls.get(scheme)
            if proxy is not None and (_loopback(host) or self._bypassed(host, port)):
                proxy = None
            if proxy is not None:
                _check(proxy)
            self._decided[key] = proxy
        return self._decided[key]

    def _bypassed(self, host: str, port: int) -> bool:
        name = host.strip("[]").lower().rstrip(".")
        address = _address(name)
        for entry, entry_port in self._no_proxy:
            if entry_port is not None and entry_port != port:
                continue
            if address is not None and _in_network(address, entry):
                return True
            domain = entry.removeprefix("*").strip(".")
            if domain and (name == domain or name.endswith("." + domain)):
                return True
        return False


def _split_entry(entry: str) -> tuple[str, int | None]:
    """A NO_PROXY entry as (host, port or None): ``[::1]:80``, ``name:80``, ``::1``."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:  # a name, or an IPv6 address or network without brackets
        host, port = entry, ""
    return host, int(port) if port.isdigit() else None


def _environment_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``urllib.request.getproxies_environment`` on ``environ``: {scheme: URL}."""
    proxies: dict[str, str] = {}
    for name, value in environ.items():
        name = name.lower()
        if value and name[-6:] == "_proxy":
            proxies[name[:-6]] = value
    if "REQUEST_METHOD" in environ:
        proxies.pop("http", None)  # CVE-2016-1000110: in a CGI script, HTTP_PROXY is input
    for name, value in environ.items():
        if name[-6:] == "_proxy":
            name = name.lower()
            if value:
                proxies[name[:-6]] = value
            else:
                proxies.pop(name[:-6], None)
    return proxies


def _loopback(host: str) -> bool:
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    address = _address(name)
    return address is not None and address.is_loopback


def _address(text: str) -> IPv4Address | IPv6Address | None:
    if not text or not (text[0].isdigit() or ":" in text):
        return None  # a name: no need to import ipaddress
    import ipaddress

    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _in_network(address: IPv4Address | IPv6Address, entry: str) -> bool:
    if not entry or not (entry[0].isdigit() or ":" in entry):
        return False
    import ipaddress

    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return network.version == address.version and address in network


def _check(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a bad port)
    except ValueError as exc:
        raise ProxyError(f"proxy {redact_proxy(url)!r} is not a URL: {exc}") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise ProxyError(
            f"proxy {redact_proxy(url)!r}: only http:// and https:// proxies are supported"
        )
    if not parts.hostname:
        raise ProxyError(f"proxy {redact_proxy(url)!r} names no host")


def redact_proxy(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    from squall.masking import redact_url

    return redact_url(url)


def _register_passwords(urls: Iterable[str]) -> None:
    from urllib.parse import unquote, urlsplit

    from squall.masking import register_secrets

    for url in urls:
        if "@" not in url:
            continue
        try:
            password = urlsplit(url).password
        except ValueError:
            continue
        if password:
            register_secrets([password, unquote(password)])
