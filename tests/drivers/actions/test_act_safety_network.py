"""Actions and probes never go through a proxy, and ``*.localhost`` never reaches a resolver
(issue 10, items 17 and 18).

A real proxy listens on 127.0.0.1 and records every connection; the proxy environment
variables point at it. A real HTTP server and a real TLS server on 127.0.0.1 record what
reached them (the ``Host`` header, the TLS server name). For ``*.localhost``,
``socket.getaddrinfo`` is wrapped to record the names asked and to fail for local names
(as a resolver that does not know them would), and the servers show that the
connections were made to 127.0.0.1 all the same.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from squall.drivers import _hosts
from squall.drivers.security import _pki as pki
from squall.drivers.security.actions_endpoints import brute_force, flood_requests
from squall.drivers.security.http import http_security_headers
from squall.drivers.security.tls import tls_certificate

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with server.lock:
                    server.hosts.append(str(self.headers.get("Host")))
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    try:
        yield recorder
    finally:
        recorder.shutdown()
        recorder.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """A listening "proxy" on 127.0.0.1 that records the first bytes of each connection;
    every proxy variable points at it, and NO_PROXY is unset."""
    connections: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    connections.append(conn.recv(200))
                except OSError:
                    connections.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    try:
        yield connections
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_the_proxy_fixture_really_catches_a_client_that_trusts_the_environment(
    proxy: list[bytes], server: Recorder
) -> None:
    """The control: a default httpx client does go to the proxy, so the tests below can
    fail."""
    import httpx

    with httpx.Client(timeout=2) as client, pytest.raises(httpx.HTTPError):
        client.get(f"http://127.0.0.1:{server.port}/")
    assert proxy and proxy[0].startswith(b"GET http://127.0.0.1")
    assert server.hosts == []


def test_flood_and_brute_force_ignore_the_proxy_environment(
    proxy: list[bytes], server: Recorder
) -> None:
    url = f"http://127.0.0.1:{server.port}/login"
    flood = flood_requests(url, count=5, concurrency=2)
    assert flood["status_counts"] == {"401": 5}
    attack = brute_force(url, attempts=3)
    assert attack["status_counts"] == {"401": 3}
    probe = http_security_headers(url)
    assert probe["status"] == 401
    assert proxy == [], "nothing may connect to the proxy"
    assert len(server.hosts) == 9


@pytest.fixture
def resolver_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every name given to getaddrinfo; a local name fails as unknown to DNS."""
    asked: list[str] = []
    real = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        if str(host).lower().rstrip(".").endswith("localhost"):
            raise socket.gaierror(socket.EAI_NONAME, "not known to this resolver")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return asked


def test_localhost_names_reach_loopback_without_a_lookup_in_actions_and_probes(
    resolver_spy: list[str], server: Recorder, proxy: list[bytes]
) -> None:
    url = f"http://api.localhost:{server.port}/login"
    assert _hosts.check_host("api.localhost") == "127.0.0.1"
    assert _hosts.check_host("Deep.Name.LOCALHOST.") == "127.0.0.1"
    assert flood_requests(url, count=2)["status_counts"] == {"401": 2}
    assert brute_force(url, attempts=2)["status_counts"] == {"401": 2}
    assert http_security_headers(url)["status"] == 401
    assert server.hosts == [f"api.localhost:{server.port}"] * 5  # the name is kept
    assert not [name for name in resolver_spy if "localhost" in name.lower()], resolver_spy
    assert "127.0.0.1" in resolver_spy  # the connections went to loopback
    assert proxy == []


def test_a_tls_probe_of_a_localhost_name_sends_it_as_sni_without_a_lookup(
    resolver_spy: list[str], tmp_path: Path
) -> None:
    authority = pki.make_authority("squall localhost CA")
    cert, key = pki.make_leaf(authority, ["api.localhost"]).write(
        tmp_path / "c.pem", tmp_path / "k.pem"
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_one() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            conn.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    result = tls_certificate("api.localhost", port, check_chain=False)
    thread.join(5)
    listener.close()
    assert names == ["api.localhost"]
    assert result["reachable"] and result["server_name"] == "api.localhost"
    assert not [name for name in resolver_spy if "localhost" in name.lower()], resolver_spy
