"""The http provider honours HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY, as the Chaos
Toolkit (requests) does, through a real proxy on 127.0.0.1 (tests/support/httpproxy.py):
forwarding for http://, CONNECT for https://.

Targets are named under ``.test`` (no resolver knows them): the proxy routes the name to
the real server on 127.0.0.1, so an answer by that name came through the proxy. For the
requests that must go direct, ``_socket.getaddrinfo`` is wrapped as a resolver that
knows the name (DNS cannot run here) and records what it was asked.
"""

from __future__ import annotations

import _socket
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from httpproxy import Proxy

from squall import run_experiment
from squall.drivers.security._pki import make_authority, make_leaf
from squall.experiment import parse_experiment

NAME = "app.squall-proxy.test"
VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "REQUEST_METHOD")


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"host": self.headers["Host"], "path": self.path}).encode()
        if self.path.startswith("/to-loopback"):
            self.send_response(302)
            self.send_header("Location", self.server.loopback_url + "/landed")  # type: ignore[attr-defined]
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _server(tls_dir: Path | None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    if tls_dir is not None:
        leaf = make_leaf(make_authority(), [NAME, "127.0.0.1"])
        cert, key = leaf.write(tls_dir / "c.pem", tls_dir / "k.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    server.loopback_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    plain, secure = _server(None), _server(tmp_path_factory.mktemp("tls"))
    yield {"http": plain.server_address[1], "https": secure.server_address[1]}
    for server in (plain, secure):
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(servers: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    running = Proxy()
    # one name, two ports: the proxy reaches the server the URL's port names
    running.routes = {NAME: ("127.0.0.1", servers["http"])}
    yield running
    running.close()


@pytest.fixture
def resolver(servers: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A resolver that knows NAME (as 127.0.0.1) and records every name it is asked."""
    asked: list[str] = []
    real = _socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(text)
        if text == NAME:
            host = "127.0.0.1"
        elif text.endswith(".test"):
            raise _socket.gaierror(_socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(_socket, "getaddrinfo", resolve)
    return asked


def _run(*urls: str) -> list[Any]:
    method = [
        {
            "type": "probe",
            "name": f"p{i}",
            "provider": {"type": "http", "url": u, "verify_tls": False},
        }
        for i, u in enumerate(urls)
    ]
    journal = run_experiment(parse_experiment({"title": "t", "description": "d", "method": method}))
    return list(journal.run)


def _route(proxy: Proxy, port: int) -> None:
    proxy.routes = {NAME: ("127.0.0.1", port)}


def test_http_goes_through_the_forward_proxy_and_https_through_connect(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    plain = f"http://{NAME}:{servers['http']}/a?b=1"
    entry = _run(plain, plain)
    assert [e.status.value for e in entry] == ["succeeded"] * 2, [e.reason for e in entry]
    assert entry[0].output["body"] == {"host": f"{NAME}:{servers['http']}", "path": "/a?b=1"}
    assert proxy.seen == [f"GET {plain} HTTP/1.1"] * 2
    _route(proxy, servers["https"])
    secure = f"https://{NAME}:{servers['https']}/s"
    entry = _run(secure)
    assert entry[0].status.value == "succeeded", entry[0].reason
    assert entry[0].output["body"]["path"] == "/s"
    assert proxy.seen[-1] == f"CONNECT {NAME}:{servers['https']} HTTP/1.1"
    assert NAME not in resolver  # the proxy resolved it, not squall


def test_each_scheme_has_its_own_proxy_and_all_proxy_is_the_fallback(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # only https
    entry = _run(f"http://{NAME}:{servers['http']}/direct")
    assert entry[0].status.value == "succeeded", entry[0].reason
    assert proxy.seen == [] and NAME in resolver  # http:// went direct
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    entry = _run(f"http://{NAME}:{servers['http']}/all")
    assert entry[0].status.value == "succeeded", entry[0].reason
    assert proxy.seen == [f"GET http://{NAME}:{servers['http']}/all HTTP/1.1"]


@pytest.mark.parametrize(
    "no_proxy", ["squall-proxy.test", ".squall-proxy.test", "*.squall-proxy.test", NAME, "*"]
)
def test_no_proxy_sends_the_request_direct(
    no_proxy: str,
    proxy: Proxy,
    servers: dict[str, int],
    resolver: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"other.example, {no_proxy}")
    entry = _run(f"http://{NAME}:{servers['http']}/x")
    assert entry[0].status.value == "succeeded", entry[0].reason
    assert proxy.seen == [] and NAME in resolver


def test_no_proxy_matches_whole_labels_and_ports(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", f"proxy.test,{NAME}:1")  # another label; another port
    entry = _run(f"http://{NAME}:{servers['http']}/x")
    assert entry[0].status.value == "succeeded", entry[0].reason
    assert proxy.seen == [f"GET http://{NAME}:{servers['http']}/x HTTP/1.1"]
    monkeypatch.setenv("NO_PROXY", f"{NAME}:{servers['http']}")
    assert _run(f"http://{NAME}:{servers['http']}/y")[0].status.value == "succeeded"
    assert len(proxy.seen) == 1


def test_loopback_is_never_proxied_not_even_after_a_redirect(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    port = servers["http"]
    entries = _run(f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/b")
    assert [e.output["status"] for e in entries] == [200, 200]
    assert proxy.seen == []
    # a proxied request redirected to loopback: the next hop goes direct
    entry = _run(f"http://{NAME}:{port}/to-loopback")
    assert entry[0].output["body"]["path"] == "/landed"
    assert proxy.seen == [f"GET http://{NAME}:{port}/to-loopback HTTP/1.1"]


def test_proxy_credentials_are_sent_and_never_shown(
    servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    canary = "pr0xy-canary-s3cret"
    guarded = Proxy(credentials=f"squall:{canary}")
    guarded.routes = {NAME: ("127.0.0.1", servers["http"])}
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://squall:{canary}@{guarded.url[7:]}")
        entry = _run(f"http://{NAME}:{servers['http']}/in")
        assert entry[0].status.value == "succeeded", entry[0].reason
        assert guarded.authorizations[-1] is not None
        monkeypatch.setenv("HTTP_PROXY", f"http://squall:{canary}x@{guarded.url[7:]}")
        refused = _run(f"http://{NAME}:{servers['http']}/in")[0]
        assert refused.output["status"] == 407  # the proxy's answer, as requests gives it
    finally:
        guarded.close()
    monkeypatch.setenv("HTTP_PROXY", f"http://squall:{canary}@127.0.0.1:9")  # nothing there
    failed = _run(f"http://{NAME}:{servers['http']}/in")[0]
    assert failed.status.value == "failed"
    assert canary not in failed.reason and canary not in json.dumps(failed.output)


def test_a_proxy_squall_cannot_use_fails_the_activity_with_its_reason(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "socks5://user:hidden-pass@127.0.0.1:1080")
    entry = _run(f"http://{NAME}:{servers['http']}/x")[0]
    assert entry.status.value == "failed"
    assert "only http:// and https:// proxies are supported" in entry.reason
    assert "hidden-pass" not in entry.reason and "socks5://user:***@" in entry.reason


def test_the_proxy_environment_is_read_once_per_run(
    proxy: Proxy, servers: dict[str, int], resolver: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import squall.proxies

    reads: list[int] = []
    real = squall.proxies.Proxies.__init__

    def counted(self: Any, environ: Any = None) -> None:
        reads.append(1)
        real(self, environ)

    monkeypatch.setattr(squall.proxies.Proxies, "__init__", counted)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    entries = _run(*[f"http://{NAME}:{servers['http']}/n{i}" for i in range(3)])
    assert [e.output["status"] for e in entries] == [200] * 3
    assert reads == [1] and len(proxy.seen) == 3
    monkeypatch.delenv("HTTP_PROXY")  # the next run reads the environment again
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # (for https:// only)
    entries = _run(f"http://{NAME}:{servers['http']}/direct")
    assert entries[0].output["status"] == 200
    assert reads == [1, 1] and len(proxy.seen) == 3
    monkeypatch.delenv("HTTPS_PROXY")  # no *_proxy variable: nothing to read
    assert _run(f"http://{NAME}:{servers['http']}/none")[0].output["status"] == 200
    assert reads == [1, 1] and len(proxy.seen) == 3
