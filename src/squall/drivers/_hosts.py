"""Where squall's drivers may connect: loopback by default, never through a proxy.

- **Loopback only** unless the configuration widens the allowlist with
  ``squall_allowed_networks`` (a list of CIDRs). A name is resolved and *every* address it
  resolves to must be allowed.
- **Local names never reach a resolver.** ``localhost`` and every name under
  ``.localhost`` are loopback by definition (RFC 6761, section 6.3): they are mapped to
  ``127.0.0.1`` here, without asking DNS or ``/etc/hosts``, both when checking a target and
  when connecting to it (``connect_address``, ``http_client``). ``ip6-localhost`` and
  ``ip6-loopback`` are mapped to ``::1`` the same way. The original name is still sent as
  the TLS server name (SNI) and in the HTTP ``Host`` header, and certificates are checked
  against it.
- **The checked address is the one connected to.** A name is resolved once, by the
  check; the connection goes to the address it returned (``pin_url`` and
  ``http_client(pins=...)``, the address handed to a detached listener or proxy), so a
  resolver answering differently the second time (DNS rebinding) cannot move it.
- **No proxy for what an allow-list checked.** HTTP clients made by ``http_client``
  ignore ``HTTP(S)_PROXY``, ``ALL_PROXY``, ``NO_PROXY`` and ``.netrc``
  (``trust_env=False``): a flood, a brute force or a probe of a checked host connects to
  the checked address itself, never to a proxy that would carry it elsewhere. Only a
  client made with ``proxies=True`` (the security probes run with
  ``allow_non_loopback``, which no allow-list guards) goes through the environment's
  proxies (``squall.proxies``: per scheme, ``NO_PROXY`` respected, loopback never).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from squall import ActivityFailed, show_value
from squall.allowlists import network_too_broad, parse_network

if TYPE_CHECKING:
    import httpx

__all__ = [
    "check_host",
    "check_url",
    "connect_address",
    "http_client",
    "is_local_name",
    "pin_url",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_IP6_NAMES = frozenset({"ip6-localhost", "ip6-loopback"})


def _bare(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


def is_local_name(host: str) -> bool:
    """True for ``localhost``, any ``*.localhost`` name and the ``ip6-`` loopback names."""
    name = _bare(host)
    return name == "localhost" or name.endswith(".localhost") or name in _IP6_NAMES


def connect_address(host: str) -> str:
    """The address to connect to for ``host``: a local name's loopback address, without
    any lookup; any other host unchanged (IP literals lose their brackets)."""
    if is_local_name(host):
        return "::1" if _bare(host) in _IP6_NAMES else "127.0.0.1"
    return host.strip().strip("[]")


def _allowed_networks(configuration: Mapping[str, Any] | None) -> list[IPNetwork]:
    networks = list(_LOOPBACK)
    extra = (configuration or {}).get("squall_allowed_networks") or []
    if isinstance(extra, str):
        extra = [extra]
    for item in extra:
        try:
            network = parse_network(item)
        except ValueError as exc:
            raise ActivityFailed(
                f"squall_allowed_networks: {show_value(item)} is not a network"
            ) from exc
        why = network_too_broad(network)
        if why:
            raise ActivityFailed(
                f"squall_allowed_networks: refusing to allow {network}: {why}, too broad "
                "to allow; name the network of the system under test"
            )
        networks.append(network)
    return networks


def check_host(host: str, configuration: Mapping[str, Any] | None = None) -> str:
    """Refuse a host outside the allowlist; return its first address.

    Local names (``*.localhost``...) are answered without a lookup; other names are
    resolved, and every address must be allowed.
    """
    if not host:
        raise ActivityFailed("no host given")
    target = connect_address(host)
    try:
        infos = socket.getaddrinfo(target, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ActivityFailed(f"cannot resolve host {show_value(host)}: {exc}") from exc
    networks = _allowed_networks(configuration)
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not any(ip in net for net in networks if net.version == ip.version):
            raise ActivityFailed(
                f"refusing target {show_value(host)} ({address}): not loopback and not in "
                'configuration "squall_allowed_networks"'
            )
    return addresses[0]


def pin_url(url: str, configuration: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Refuse a URL whose host is outside the allowlist; return ``{host: address}``, the
    checked address to connect to (give it to ``http_client(pins=...)``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActivityFailed(f"not an http(s) URL: {show_value(url)}")
    return {parts.hostname: check_host(parts.hostname, configuration)}


def check_url(url: str, configuration: Mapping[str, Any] | None = None) -> str:
    """Refuse a URL whose host is outside the allowlist; return the host."""
    return next(iter(pin_url(url, configuration)))


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def http_client(
    pins: Mapping[str, str] | None = None, proxies: bool = False, **options: Any
) -> httpx.Client:
    """An ``httpx.Client`` that ignores the proxy environment and connects local names
    (``*.localhost``) to loopback without a lookup; ``options`` go to ``httpx.Client``
    (``timeout``, ``verify``, ``follow_redirects``...).

    ``proxies=True`` (never with ``pins``): requests go through the environment's proxy
    for their URL (``squall.proxies``, read once, when the client is made).

    ``pins`` (``{host: address}``, from ``pin_url`` or ``check_host``): each host is
    connected to its checked address, never looked up again (a name that resolves to an
    allowed address for the check and elsewhere for the connection, DNS rebinding, cannot
    move the connection); with pins, a host that is neither pinned, a local name nor an
    address is refused.
    """
    import httpx

    if pins is not None and proxies:
        raise ValueError("a pinned (checked) host is never reached through a proxy")
    pinned = {key.lower().rstrip("."): value for key, value in (pins or {}).items()}
    verify = options.pop("verify", True)
    http2 = bool(options.pop("http2", False))
    routes = _ProxyRoutes(verify, http2) if proxies else None

    class _Pinned(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            host = request.url.host
            address = pinned.get(host.lower().rstrip("."))
            if address is None and is_local_name(host):
                address = connect_address(host)
            if address is None and pins is not None and not _is_address(host):
                raise httpx.ConnectError(
                    f"refusing {show_value(host)}: not the host that was checked"
                )
            if address is None and routes is not None:
                proxied = routes.transport(request)
                if proxied is not None:
                    return proxied.handle_request(request)
            if address is not None and address != host:
                # The Host header was set from the original URL; SNI and the certificate
                # check keep the original name too.
                request.extensions = {**request.extensions, "sni_hostname": host}
                request.url = request.url.copy_with(host=address)
            return super().handle_request(request)

        def close(self) -> None:
            if routes is not None:
                routes.close()
            super().close()

    transport = _Pinned(verify=verify, http2=http2, trust_env=False)
    return httpx.Client(transport=transport, verify=verify, trust_env=False, **options)


class _ProxyRoutes:
    """The environment's proxies for one client: read once; one transport per proxy."""

    def __init__(self, verify: Any, http2: bool) -> None:
        from squall.proxies import Proxies

        self.proxies = Proxies()
        self.verify, self.http2 = verify, http2
        self.transports: dict[str, httpx.HTTPTransport] = {}

    def transport(self, request: httpx.Request) -> httpx.HTTPTransport | None:
        """The proxied transport for ``request``, or None (direct)."""
        import httpx

        from squall.proxies import ProxyError

        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            proxy = self.proxies.for_url(url.scheme, url.host, port)
        except ProxyError as exc:
            raise httpx.ProxyError(str(exc)) from None
        if proxy is None:
            return None
        if proxy not in self.transports:
            self.transports[proxy] = httpx.HTTPTransport(
                verify=self.verify, http2=self.http2, trust_env=False, proxy=proxy
            )
        return self.transports[proxy]

    def close(self) -> None:
        for transport in self.transports.values():
            transport.close()
        self.transports.clear()
