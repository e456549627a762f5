"""open_unexpected_port, impostor_endpoint, the fault proxy, flood_requests, brute_force."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest
from act_harness import Target, peer_certificate, unverified_context

from squall import ActivityFailed
from squall.drivers._safety import process_state
from squall.drivers.network.actions import set_proxy_faults, start_fault_proxy, stop_fault_proxy
from squall.drivers.security.actions_endpoints import (
    brute_force,
    close_unexpected_port,
    flood_requests,
    impostor_endpoint,
    open_unexpected_port,
    stop_impostor_endpoint,
)


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while process_state(pid) not in (None, "Z"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def _not_the_impostor(host: str, port: int, run_id: str) -> bool:
    """Nothing answers at ``host:port`` as the run's impostor (its certificate names the run).
    Refused is the usual answer; but under -n another test's listener may have been given
    the freed port already (the rebinding tests listen on 127.0.0.2 too)."""
    try:
        sock = socket.create_connection((host, port), timeout=1)
    except ConnectionRefusedError:
        return True
    with sock:
        try:
            with unverified_context().wrap_socket(sock, server_hostname="localhost") as tls:
                certificate = tls.getpeercert(binary_form=True) or b""
        except (ssl.SSLError, OSError):
            return True  # not TLS at all: not the impostor
    return run_id.encode() not in certificate


def test_open_unexpected_port_then_close(squall_env: dict[str, str]) -> None:
    result = open_unexpected_port()
    port = result["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        banner = sock.recv(200).decode()
    assert squall_env["run_id"] in banner and banner.startswith("squall unexpected port")
    with pytest.raises(ActivityFailed, match="already injected"):
        open_unexpected_port()

    undone = close_unexpected_port()
    assert undone["status"] == "stopped" and undone["port"] == port
    assert _gone(result["pid"])
    assert _refused("127.0.0.1", port)
    assert close_unexpected_port()["restored"] is False


def test_open_unexpected_port_refusals() -> None:
    with pytest.raises(ActivityFailed, match="not loopback"):
        open_unexpected_port(host="0.0.0.0")
    with pytest.raises(ActivityFailed, match="not loopback"):
        open_unexpected_port(host="192.0.2.10")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ActivityFailed, match="cannot listen"):
            open_unexpected_port(port, name="busy")
    # the failed attempt left no record: the same name can be used again
    assert close_unexpected_port("busy")["restored"] is False


def test_daemons_exit_after_their_lifetime(echo_server: int) -> None:
    port = open_unexpected_port(max_lifetime_seconds=0.3, name="short")
    proxy = start_fault_proxy(echo_server, name="short", max_lifetime_seconds=0.3)
    impostor = impostor_endpoint(name="short", max_lifetime_seconds=0.3)
    for result in (port, proxy, impostor):
        assert _gone(result["pid"], 5)
    assert close_unexpected_port("short")["status"] == "already exited"
    assert stop_fault_proxy("short")["status"] == "already exited"
    assert stop_impostor_endpoint("short")["status"] == "already exited"


def test_impostor_endpoint_fails_validation_and_serves_tagged_answers(
    target: Target, squall_env: dict[str, str]
) -> None:
    result = impostor_endpoint(body='{"ok": true}', content_type="application/json")
    host, port = result["host"], result["port"]
    assert host == "127.0.0.2"
    real = peer_certificate("127.0.0.1", target.port)
    fake = peer_certificate(host, port)
    assert fake.fingerprint(real.signature_hash_algorithm) != real.fingerprint(  # type: ignore[arg-type]
        real.signature_hash_algorithm  # type: ignore[arg-type]
    )
    assert squall_env["run_id"] in fake.subject.rfc4514_string()

    trusting = ssl.create_default_context(cafile=str(target.ca_cert))
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection((host, port), timeout=5) as sock,
        trusting.wrap_socket(sock, server_hostname="localhost"),
    ):
        pass
    with (  # the real service passes the same check
        socket.create_connection(("127.0.0.1", target.port), timeout=5) as sock,
        trusting.wrap_socket(sock, server_hostname="localhost"),
    ):
        pass

    conn = http.client.HTTPSConnection(host, port, context=unverified_context(), timeout=5)
    conn.request("GET", "/anything", headers={"Host": "localhost"})
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b'{"ok": true}'
    assert response.getheader("X-Squall-Run-Id") == squall_env["run_id"]
    assert squall_env["run_id"] in (response.getheader("Server") or "")
    conn.close()

    undone = stop_impostor_endpoint()
    assert undone["status"] == "stopped"
    assert _gone(result["pid"]) and _not_the_impostor(host, port, squall_env["run_id"])


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A threaded TCP echo server on 127.0.0.1; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.1)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            with contextlib.suppress(OSError):
                while data := conn.recv(65536):
                    conn.sendall(data)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            thread.start()
            threads.append(thread)

    acceptor = threading.Thread(target=accept)
    acceptor.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        acceptor.join()
        server.close()


def _roundtrip(port: int, payload: bytes = b"ping", timeout: float = 3.0) -> tuple[bytes, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received, time.monotonic() - started


def test_fault_proxy_latency_bandwidth_reset_blackhole_drop(echo_server: int) -> None:
    proxy = start_fault_proxy(echo_server, name="p1")
    port = proxy["listen_port"]
    assert proxy["label"].endswith(proxy["run_id"]) and "p1" in proxy["label"]
    data, baseline = _roundtrip(port)
    # no fault yet: faster than the latency set next (0.2 s was exceeded at load 18)
    assert data == b"ping" and baseline < 0.25

    assert set_proxy_faults("p1", latency_ms=250)["version"] == 2
    data, slow = _roundtrip(port)
    assert data == b"ping" and slow >= 0.25

    set_proxy_faults("p1", bandwidth_bytes_per_second=40_000)
    data, limited = _roundtrip(port, b"x" * 20_000)
    assert len(data) == 20_000 and limited >= 0.4

    set_proxy_faults("p1", reset_probability=1.0)
    with (
        pytest.raises(ConnectionResetError),
        socket.create_connection(("127.0.0.1", port), timeout=2) as sock,
    ):
        sock.sendall(b"ping")
        sock.recv(10)

    set_proxy_faults("p1", close_probability=1.0)
    assert _roundtrip(port)[0] == b""  # the connection is closed instead of answered

    set_proxy_faults("p1", blackhole=True)
    with pytest.raises(TimeoutError):
        _roundtrip(port, timeout=0.3)

    set_proxy_faults("p1", drop_probability=1.0, direction="upstream")
    with pytest.raises(TimeoutError):
        _roundtrip(port, timeout=0.3)

    set_proxy_faults("p1")  # back to a pass-through
    assert _roundtrip(port)[0] == b"ping"

    undone = stop_fault_proxy("p1")
    assert undone["status"] == "stopped"
    assert _gone(proxy["pid"]) and _refused("127.0.0.1", port)
    with pytest.raises(ActivityFailed, match="no fault proxy"):
        set_proxy_faults("p1", latency_ms=1)


def test_fault_proxy_refusals(echo_server: int) -> None:
    with pytest.raises(ActivityFailed, match="not loopback"):
        start_fault_proxy(443, "203.0.113.5")
    with pytest.raises(ActivityFailed, match="drop_probability"):
        start_fault_proxy(echo_server, drop_probability=2)
    with pytest.raises(ActivityFailed, match="direction"):
        start_fault_proxy(echo_server, direction="sideways")
    allowed = {"squall_allowed_networks": ["203.0.113.0/24"]}
    with pytest.raises(ActivityFailed, match="cannot listen"):
        start_fault_proxy(echo_server, listen_host="203.0.113.5", configuration=allowed)
    assert stop_fault_proxy()["restored"] is False


def test_flood_requests_counts_statuses(target: Target, squall_env: dict[str, str]) -> None:
    url = f"https://127.0.0.1:{target.port}/state"
    result = flood_requests(url, 40, concurrency=4)
    assert result["status_counts"] == {"200": 40} and result["sent"] == 40
    assert result["run_id"] == squall_env["run_id"]
    log = target.path("log_file").read_text()
    assert log.count("GET /state") >= 40
    with pytest.raises(ActivityFailed, match="not loopback"):
        flood_requests("http://192.0.2.1/", 1)
    with pytest.raises(ActivityFailed, match="count"):
        flood_requests(url, 10**6)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ActivityFailed, match="no request got an HTTP response"):
        flood_requests(f"http://127.0.0.1:{port}/", 3)


def test_brute_force_finds_the_lockout(target: Target) -> None:
    url = f"https://127.0.0.1:{target.port}/login"
    result = brute_force(url, 8)
    assert result["statuses"] == [401] * 5 + [429] * 3
    assert result["first_blocked_attempt"] == 6
    assert result["status_counts"] == {"401": 5, "429": 3}
    stopped = brute_force(url, 50, style="form", stop_on_status=[429])
    assert stopped["attempts"] == 1 and stopped["statuses"] == [429]
    with pytest.raises(ActivityFailed, match="style"):
        brute_force(url, style="carrier-pigeon")


def test_unknown_faults_are_named_in_agreement_with_their_count() -> None:
    from squall.drivers.network.proxy import Faults

    with pytest.raises(ValueError, match=r'^unknown fault: \["latency"\]; known: '):
        Faults.from_mapping({"latency": 5})
    with pytest.raises(ValueError, match=r'^unknown faults: \["jitter", "latency"\]; known: '):
        Faults.from_mapping({"latency": 5, "jitter": 1})
