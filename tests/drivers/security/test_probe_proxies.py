"""Security probes run with ``allow_non_loopback`` (no allow-list) go through the
environment's proxy, like the http provider; a checked host (loopback, allow-listed) and
the destructive actions (flood, brute force) never do, whatever the environment says.

A real proxy on 127.0.0.1 (tests/support/httpproxy.py) routes a ``.test`` name to a real
server on 127.0.0.1; for what must go direct, ``_socket.getaddrinfo`` is wrapped as a
resolver that knows the name (DNS cannot run here)."""

from __future__ import annotations

import _socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from httpproxy import Proxy

from squall.drivers.security.actions_endpoints import brute_force, flood_requests
from squall.drivers.security.http import http_security_headers

NAME = "probe.squall-proxy.test"


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.hosts.append(self.headers["Host"])  # type: ignore[attr-defined]
        self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    running = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    running.daemon_threads = True
    running.hosts = []  # type: ignore[attr-defined]
    threading.Thread(target=running.serve_forever, daemon=True).start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def proxy(server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    running = Proxy()
    running.routes = {NAME: ("127.0.0.1", server.server_address[1])}
    monkeypatch.setenv("HTTP_PROXY", running.url)
    monkeypatch.setenv("HTTPS_PROXY", running.url)
    yield running
    running.close()


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    real = _socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(text)
        return real("127.0.0.1" if text == NAME else host, *args, **kwargs)

    monkeypatch.setattr(_socket, "getaddrinfo", resolve)
    return asked


def test_a_probe_without_an_allow_list_goes_through_the_proxy(
    server: ThreadingHTTPServer, proxy: Proxy, resolver: list[str]
) -> None:
    url = f"http://{NAME}:{server.server_address[1]}/login"
    result = http_security_headers(url, allow_non_loopback=True)
    assert result["status"] == 401, result
    assert proxy.seen == [f"GET {url} HTTP/1.1"]
    assert NAME not in resolver


def test_no_proxy_and_loopback_are_respected_by_probes(
    server: ThreadingHTTPServer,
    proxy: Proxy,
    resolver: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = server.server_address[1]
    monkeypatch.setenv("NO_PROXY", "squall-proxy.test")
    assert http_security_headers(f"http://{NAME}:{port}/", allow_non_loopback=True)["status"]
    assert http_security_headers(f"http://127.0.0.1:{port}/", allow_non_loopback=True)["status"]
    assert http_security_headers(f"http://127.0.0.1:{port}/")["status"] == 401
    assert proxy.seen == [] and NAME in resolver


def test_floods_and_checked_hosts_never_use_the_proxy(
    server: ThreadingHTTPServer, proxy: Proxy, resolver: list[str]
) -> None:
    """NAME resolves into the allow-listed network; a proxy would carry the load to
    wherever it resolves the name: actions and probes connect to the checked address."""
    url = f"http://{NAME}:{server.server_address[1]}/login"
    allowed = {"squall_allowed_networks": ["127.0.0.0/24"]}
    flood = flood_requests(url, count=4, concurrency=2, configuration=allowed)
    assert flood["status_counts"] == {"401": 4}
    assert brute_force(url, attempts=2, configuration=allowed)["status_counts"] == {"401": 2}
    assert http_security_headers(url, configuration=allowed)["status"] == 401
    assert proxy.seen == []
    assert server.hosts == [f"{NAME}:{server.server_address[1]}"] * 7  # type: ignore[attr-defined]
