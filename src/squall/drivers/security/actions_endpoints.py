"""Security actions on the network surface: an unexpected open port, an impostor HTTPS
endpoint, request floods and brute-force logins (all on loopback by default)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_host, connect_address, http_client, pin_url
from squall.drivers._state import StateStore, run_id
from squall.drivers.host import _daemon

if TYPE_CHECKING:
    import httpx

__all__ = [
    "brute_force",
    "close_unexpected_port",
    "flood_requests",
    "impostor_endpoint",
    "open_unexpected_port",
    "stop_impostor_endpoint",
]

KIND_PORT = "security.open_unexpected_port"
KIND_IMPOSTOR = "security.impostor_endpoint"
MAX_REQUESTS = 100_000
MAX_DURATION = 600.0
_SERVERS = "squall.drivers.network.servers"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((connect_address(host), port), timeout=1.0):
            return True
    except OSError:
        return False


def open_unexpected_port(
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    name: str = "unexpected-port",
    max_lifetime_seconds: float = 3600.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open a TCP listener nobody expects (the ChaoSlingr PortSlingr analogue).

    A detached process listens and greets every connection with a banner carrying the
    label ``squall:security.open_unexpected_port:<name>:<run id>``; it exits by itself after
    ``max_lifetime_seconds``. To listen on all interfaces (as PortSlingr does), opt in
    with ``configuration["squall_allowed_networks"] = ["0.0.0.0/32"]`` and host
    ``0.0.0.0``.

    Args:
        port: the port (0: a free port chosen by the system, see the result).
        host: the address to listen on (loopback by default).
        name: names this listener for ``close_unexpected_port``.
        max_lifetime_seconds: the listener exits after this long even if never closed.

    Returns:
        ``host``, ``port``, ``name``, ``label``, ``banner``, ``pid``, ``run_id``,
        ``state_key``.
    """
    address = check_host(host, configuration)  # the listener binds what was checked
    life = str(max_lifetime_seconds)
    label = f"squall:{KIND_PORT}:{name}:{run_id(configuration)}"
    record, info = _daemon.spawn(
        KIND_PORT,
        name,
        _SERVERS,
        ["listener", "--host", address, "--port", str(port), "--max-lifetime", life],
        label=label,
        rollback={"function": f"{__name__}.close_unexpected_port", "arguments": {"name": name}},
        configuration=configuration,
    )
    record_port = int(info["port"])
    if not _port_open("127.0.0.1" if address in ("0.0.0.0", "::") else address, record_port):
        close_unexpected_port(name, configuration)
        raise ActivityFailed(f"the listener on {host}:{record_port} does not accept connections")
    return {
        "host": info["host"],
        "port": record_port,
        "name": name,
        "label": label,
        "banner": f"squall unexpected port; {label}",
        "pid": info["pid"],
        "run_id": record.run_id,
        "state_key": record.key,
    }


def close_unexpected_port(
    name: str = "unexpected-port",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``open_unexpected_port``: stop the listener.

    Args:
        name: the same ``name`` given to the action.

    Returns:
        ``restored``, ``pid``, ``status``, ``port``, ``run_id``, ``state_key``; a no-op
        (``restored`` false) when nothing was recorded.
    """
    record = StateStore.for_configuration(configuration).load(KIND_PORT, name)
    result = _daemon.stop(KIND_PORT, name, configuration)
    if record is not None:
        result["port"] = (record.data.get("report") or {}).get("port")
    return result


def impostor_endpoint(
    host: str = "127.0.0.2",
    port: int = 0,
    *,
    names: list[str] | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    status: int = 200,
    body: str = "",
    content_type: str = "text/plain",
    headers: dict[str, str] | None = None,
    name: str = "impostor",
    max_lifetime_seconds: float = 3600.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Serve an impostor HTTPS endpoint (a man in the middle) on another loopback address.

    Send the client to ``host:port`` with the real server name (SNI/Host): a client that
    validates certificates must refuse it. By default the impostor presents a fresh
    self-signed certificate for ``names``, whose common name carries the run id; its
    responses carry ``Server: squall-impostor (<label>)`` and ``X-Squall-Run-Id``.

    Args:
        host: the address to listen on (default ``127.0.0.2``; any of 127.0.0.0/8 works on
            Linux without configuration).
        port: the port (0: a free port; the real service's port is fine on another address).
        names: the names of the impostor's certificate (default ``localhost`` and ``host``).
        cert_file: serve this certificate instead of a self-signed one (with ``key_file``).
        key_file: its private key.
        status: the HTTP status of every response.
        body: the body of every response.
        content_type: its content type.
        headers: extra response headers.
        name: names this endpoint for ``stop_impostor_endpoint``.
        max_lifetime_seconds: the server exits after this long even if never stopped.

    Returns:
        ``host``, ``port``, ``url``, ``names``, ``fingerprint_sha256`` (of the impostor's
        certificate, when generated), ``name``, ``label``, ``pid``, ``run_id``,
        ``state_key``.
    """
    address = check_host(host, configuration)  # the server binds what was checked
    if bool(cert_file) != bool(key_file):
        raise ActivityFailed("give both cert_file and key_file, or neither")
    run = run_id(configuration)
    life = str(max_lifetime_seconds)
    label = f"squall:{KIND_IMPOSTOR}:{name}:{run}"
    names = names or ["localhost", host]
    facts: dict[str, Any] = {}

    def prepare(directory: Path) -> list[str]:
        cert, key = Path(str(cert_file or "")), Path(str(key_file or ""))
        if not cert_file:
            from cryptography.hazmat.primitives import hashes

            from squall.drivers.security import _pki as pki

            leaf = pki.make_leaf(None, names, common_name=f"squall impostor {run}"[:64])
            cert, key = leaf.write(directory / "cert.pem", directory / "key.pem")
            facts["fingerprint_sha256"] = leaf.cert.fingerprint(hashes.SHA256()).hex()
        spec = {
            "status": status,
            "body": body,
            "content_type": content_type,
            "headers": headers or {},
            "run_id": run,
        }
        (directory / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        return ["--cert", str(cert), "--key", str(key), "--spec", str(directory / "spec.json")]

    record, info = _daemon.spawn(
        KIND_IMPOSTOR,
        name,
        _SERVERS,
        ["impostor", "--host", address, "--port", str(port), "--max-lifetime", life],
        label=label,
        rollback={"function": f"{__name__}.stop_impostor_endpoint", "arguments": {"name": name}},
        configuration=configuration,
        prepare=prepare,
    )
    bound = int(info["port"])
    shown = f"[{info['host']}]" if ":" in str(info["host"]) else str(info["host"])
    return {
        "host": info["host"],
        "port": bound,
        "url": f"https://{shown}:{bound}/",
        "names": names,
        "fingerprint_sha256": facts.get("fingerprint_sha256"),
        "name": name,
        "label": label,
        "pid": info["pid"],
        "run_id": record.run_id,
        "state_key": record.key,
    }


def stop_impostor_endpoint(
    name: str = "impostor",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``impostor_endpoint``: stop the server and delete its certificate.

    Args:
        name: the same ``name`` given to the action.

    Returns:
        ``restored``, ``pid``, ``status``, ``run_id``, ``state_key``; a no-op
        (``restored`` false) when nothing was recorded.
    """
    return _daemon.stop(KIND_IMPOSTOR, name, configuration)


# --------------------------------------------------------------------- bursts
def _bounded(count: int, duration_seconds: float) -> tuple[int, float]:
    if not 1 <= count <= MAX_REQUESTS:
        raise ActivityFailed(f"count must be between 1 and {MAX_REQUESTS}, got {count}")
    if not 0 < duration_seconds <= MAX_DURATION:
        raise ActivityFailed(f"duration_seconds must be in (0, {MAX_DURATION}]")
    return count, duration_seconds


def _burst(
    count: int,
    duration_seconds: float,
    concurrency: int,
    send: Callable[[httpx.Client, int], httpx.Response],
    client_options: dict[str, Any],
    stop_on_status: list[int] | None = None,
) -> dict[str, Any]:
    """Run ``send(client, i)`` for i in range(count) within ``duration_seconds``."""
    import httpx

    # never through a proxy from the environment; *.localhost straight to loopback
    statuses: list[int] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    next_index = iter(range(count))
    deadline = time.monotonic() + duration_seconds
    stopped = threading.Event()

    def worker() -> None:
        with http_client(**client_options) as client:
            while not stopped.is_set() and time.monotonic() < deadline:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                try:
                    status = send(client, index).status_code
                except httpx.HTTPError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                with lock:
                    statuses.append(status)
                if stop_on_status and status in stop_on_status:
                    stopped.set()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(max(1, concurrency))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if not statuses:
        raise ActivityFailed(
            f"no request got an HTTP response ({dict(errors)}): the burst was not delivered"
        )
    counts = Counter(str(s) for s in statuses)
    return {
        "sent": len(statuses) + sum(errors.values()),
        "responses": len(statuses),
        "status_counts": dict(sorted(counts.items())),
        "errors": dict(errors),
        "statuses": statuses[:1000],
        "elapsed_seconds": round(elapsed, 3),
        "requests_per_second": round(len(statuses) / elapsed, 1) if elapsed else None,
        "stopped_early": stopped.is_set() or len(statuses) + sum(errors.values()) < count,
    }


def flood_requests(
    url: str,
    count: int = 100,
    *,
    duration_seconds: float = 10.0,
    concurrency: int = 4,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    verify_tls: bool = False,
    timeout_seconds: float = 5.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send a bounded burst of requests (at most ``count``, within ``duration_seconds``).

    Every request carries ``X-Squall-Run-Id`` and ``User-Agent: squall-flood/<run id>``.
    There is no rollback: a target's limiter state is its own (reset it through the target
    if it offers a way).

    Args:
        url: the URL (loopback unless the configuration allows more).
        count: the number of requests (1 to 100000).
        duration_seconds: stop after this long even if ``count`` is not reached (max 600).
        concurrency: parallel connections.
        method: the HTTP method.
        headers: extra request headers.
        body: a request body.
        verify_tls: verify the server's certificate (off by default: the target is local).
        timeout_seconds: timeout of each request.

    Returns:
        ``sent``, ``responses``, ``status_counts`` (``{"200": n, "429": m}``), ``errors``
        (by exception type), ``statuses`` (first 1000, in order of completion),
        ``elapsed_seconds``, ``requests_per_second``, ``stopped_early``, ``run_id``.

    Raises ``ActivityFailed`` when no request got a response.
    """
    pins = pin_url(url, configuration)
    _bounded(count, duration_seconds)
    run = run_id(configuration)
    request_headers = {
        "User-Agent": f"squall-flood/{run}",
        "X-Squall-Run-Id": run,
        **(headers or {}),
    }
    content = body.encode() if body is not None else None

    def send(client: httpx.Client, index: int) -> httpx.Response:
        return client.request(method, url, headers=request_headers, content=content)

    options = {"verify": verify_tls, "timeout": timeout_seconds, "pins": pins}
    result = _burst(count, duration_seconds, concurrency, send, options)
    return {**result, "url": url, "run_id": run}


def brute_force(
    url: str,
    attempts: int = 20,
    *,
    username: str = "admin",
    style: str = "json",
    username_field: str = "username",
    password_field: str = "password",
    duration_seconds: float = 10.0,
    stop_on_status: list[int] | None = None,
    verify_tls: bool = False,
    timeout_seconds: float = 5.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Try ``attempts`` bad credentials in a row against a login or protected endpoint.

    Each password (or token) is ``squall-bad-<run id>-<n>``, so a detector's alert can
    be traced to the experiment; requests also carry ``X-Squall-Run-Id``.

    Args:
        url: the login URL (loopback unless the configuration allows more).
        attempts: how many bad credentials to try (1 to 100000).
        username: the user name to attack.
        style: how credentials are sent: ``json`` (POST a JSON object), ``form`` (POST a
            form), ``basic`` (GET with HTTP Basic) or ``bearer`` (GET with a bad token).
        username_field: the user name field for ``json``/``form``.
        password_field: the password field for ``json``/``form``.
        duration_seconds: stop after this long (max 600).
        stop_on_status: stop at the first response with one of these statuses (e.g.
            ``[429, 423]`` to stop once locked out).
        verify_tls: verify the server's certificate (off by default).
        timeout_seconds: timeout of each request.

    Returns:
        ``attempts``, ``status_counts``, ``statuses`` (in order), ``first_blocked_attempt``
        (1-based index of the first 429/423 response, or null), ``errors``,
        ``elapsed_seconds``, ``run_id``.
    """
    pins = pin_url(url, configuration)
    _bounded(attempts, duration_seconds)
    if style not in ("json", "form", "basic", "bearer"):
        raise ActivityFailed(f"style must be json, form, basic or bearer, got {show_value(style)}")
    run = run_id(configuration)
    base_headers = {"User-Agent": f"squall-brute-force/{run}", "X-Squall-Run-Id": run}

    def send(client: httpx.Client, index: int) -> httpx.Response:
        password = f"squall-bad-{run}-{index + 1}"
        if style == "json":
            data = {username_field: username, password_field: password}
            return client.post(url, json=data, headers=base_headers)
        if style == "form":
            form = {username_field: username, password_field: password}
            return client.post(url, data=form, headers=base_headers)
        if style == "basic":
            return client.get(url, auth=(username, password), headers=base_headers)
        bearer = {**base_headers, "Authorization": f"Bearer {password}"}
        return client.get(url, headers=bearer)

    options = {"verify": verify_tls, "timeout": timeout_seconds, "pins": pins}
    result = _burst(attempts, duration_seconds, 1, send, options, stop_on_status)
    blocked = next((i + 1 for i, s in enumerate(result["statuses"]) if s in (423, 429)), None)
    return {
        "url": url,
        "attempts": result["sent"],
        "status_counts": result["status_counts"],
        "statuses": result["statuses"],
        "first_blocked_attempt": blocked,
        "errors": result["errors"],
        "elapsed_seconds": result["elapsed_seconds"],
        "run_id": run,
    }
