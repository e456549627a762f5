"""DNS rebinding: a name checked against the network allow-list is connected to at the very
address that was checked, never looked up again.

Found: the allow-list check resolved a name (``socket.getaddrinfo``) and the connection
resolved it again (httpx, ``socket.create_connection``, or the detached listener and
proxy processes, which were handed the name). A resolver that answers an allowed
address for the check and another one for the connection (DNS rebinding, a TTL of 0)
sent a flood, a brute force, a probe or a listener wherever it liked.

The resolver is the one fake here (a DNS server cannot be run without changing this
machine's resolver for everyone): ``socket.getaddrinfo`` answers ``rebind.test`` with
127.0.0.1 the first time and 127.0.0.2 every later time. 127.0.0.2 stands for an address
outside the allow-list (this machine has only loopback). Real servers listen on both
addresses, on the same port, and record who reached them: only 127.0.0.1 may be reached,
and the name is looked up once per check.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from squall.drivers.network.actions import start_fault_proxy, stop_fault_proxy
from squall.drivers.security.actions_endpoints import (
    brute_force,
    close_unexpected_port,
    flood_requests,
    open_unexpected_port,
)
from squall.drivers.security.auth import auth_enforced
from squall.drivers.security.http import http_security_headers
from squall.drivers.security.tls import tls_certificate
from squall.drivers.security.tls_policy import tls_ciphers, tls_protocols

NAME = "rebind.test"
CONFIG = {"squall_allowed_networks": ["127.0.0.1/32"]}


class Listener:
    """A TCP server on ``address``:``port`` that answers every connection with a minimal
    HTTP 401 and counts the connections."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.create_server((address, port))
        self.sock.settimeout(0.05)
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 401 No\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def servers() -> Iterator[tuple[Listener, Listener]]:
    for _ in range(20):
        good = Listener("127.0.0.1", 0)
        port = good.sock.getsockname()[1]
        try:
            evil = Listener("127.0.0.2", port)
        except OSError:
            good.close()
            continue
        break
    else:
        pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")
    try:
        yield good, evil
    finally:
        good.close()
        evil.close()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``rebind.test``: 127.0.0.1 at the first lookup, 127.0.0.2 at every later one."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != NAME:
            return real(host, port, *args, **kwargs)
        asked.append(name)
        address = "127.0.0.1" if len(asked) == 1 else "127.0.0.2"
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_the_fake_resolver_really_rebinds(
    rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    """The control: a connection by name after a first lookup reaches 127.0.0.2."""
    good, evil = servers
    socket.getaddrinfo(NAME, None)
    with socket.create_connection((NAME, good.sock.getsockname()[1]), timeout=2):
        pass
    assert evil.accepted == 1 or _wait(lambda: evil.accepted == 1)


def _wait(done: Any) -> bool:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.02)
    return False


def _url(servers: tuple[Listener, Listener]) -> str:
    return f"http://{NAME}:{servers[0].sock.getsockname()[1]}/login"


def test_a_flood_goes_to_the_checked_address(
    rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    result = flood_requests(_url(servers), 6, concurrency=3, configuration=CONFIG)
    assert result["responses"] == 6, result
    assert servers[1].accepted == 0 and servers[0].accepted >= 1
    assert rebinding == [NAME]


def test_a_brute_force_goes_to_the_checked_address(
    rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    result = brute_force(_url(servers), 4, configuration=CONFIG)
    assert servers[1].accepted == 0 and servers[0].accepted >= 1, result
    assert rebinding == [NAME]


@pytest.mark.parametrize("probe", [http_security_headers, auth_enforced])
def test_an_http_probe_goes_to_the_checked_address(
    probe: Any, rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    probe(_url(servers), configuration=CONFIG)
    assert servers[1].accepted == 0 and servers[0].accepted >= 1
    assert rebinding == [NAME]


@pytest.mark.parametrize("probe", [tls_certificate, tls_protocols, tls_ciphers])
def test_a_tls_probe_goes_to_the_checked_address(
    probe: Any, rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    result = probe(NAME, servers[0].sock.getsockname()[1], configuration=CONFIG, timeout=2)
    assert servers[1].accepted == 0 and servers[0].accepted >= 1, result
    assert rebinding == [NAME]
    assert result["host"] == NAME


def test_a_listener_binds_the_checked_address(rebinding: list[str]) -> None:
    """The detached listener was handed the name, which it looked up again (here: in
    another process, which does not know ``rebind.test`` at all)."""
    result = open_unexpected_port(host=NAME, configuration=CONFIG)
    try:
        assert result["host"] in ("127.0.0.1", NAME), result
        with socket.create_connection(("127.0.0.1", result["port"]), timeout=2):
            pass
    finally:
        close_unexpected_port(configuration=CONFIG)
    assert rebinding == [NAME]


def test_a_fault_proxy_forwards_to_the_checked_address(
    rebinding: list[str], servers: tuple[Listener, Listener]
) -> None:
    port = servers[0].sock.getsockname()[1]
    proxy = start_fault_proxy(port, NAME, listen_host="127.0.0.1", configuration=CONFIG)
    try:
        with socket.create_connection(("127.0.0.1", proxy["listen_port"]), timeout=2) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.settimeout(3)
            assert conn.recv(100).startswith(b"HTTP/1.1 401")
    finally:
        stop_fault_proxy(configuration=CONFIG)
    assert servers[1].accepted == 0 and servers[0].accepted == 1
    assert rebinding == [NAME]
