"""Network actions: a fault-injecting TCP proxy in front of a loopback upstream.

Point the client at the proxy's address, then change its faults while it runs:
``start_fault_proxy`` → ``set_proxy_faults`` (any number of times) → ``stop_fault_proxy``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_host
from squall.drivers._state import StateStore, atomic_write, record_key, run_id
from squall.drivers.host import _daemon
from squall.drivers.network.proxy import Faults

__all__ = ["set_proxy_faults", "start_fault_proxy", "stop_fault_proxy"]

KIND = "network.fault_proxy"


def _faults(**values: Any) -> Faults:
    try:
        return Faults.from_mapping(values)
    except (TypeError, ValueError) as exc:
        raise ActivityFailed(f"bad proxy faults: {exc}") from exc


def _write_control(path: Path, version: int, faults: Faults) -> None:
    text = json.dumps({"version": version, "faults": faults.to_json()})
    atomic_write(path, text.encode(), 0o600)


def start_fault_proxy(
    upstream_port: int,
    upstream_host: str = "127.0.0.1",
    *,
    name: str = "fault-proxy",
    listen_host: str = "127.0.0.1",
    listen_port: int = 0,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    drop_probability: float = 0.0,
    close_probability: float = 0.0,
    reset_probability: float = 0.0,
    bandwidth_bytes_per_second: int = 0,
    blackhole: bool = False,
    direction: str = "downstream",
    max_lifetime_seconds: float = 3600.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Start a TCP proxy on loopback in front of ``upstream_host:upstream_port``.

    The proxy runs as a detached process (its command line carries the label
    ``squall:network.fault_proxy:<name>:<run id>``) and exits by itself after
    ``max_lifetime_seconds``.

    Args:
        upstream_port: the port of the service to put the proxy in front of.
        upstream_host: its host (loopback unless the configuration allows more).
        name: the proxy's name, used by ``set_proxy_faults`` and ``stop_fault_proxy``.
        listen_host: the address the proxy listens on (loopback).
        listen_port: the port it listens on (0: a free port, see the result).
        latency_ms: delay added to each chunk.
        jitter_ms: random ± variation of the delay.
        drop_probability: probability of dropping a chunk.
        close_probability: probability of closing the connection instead of forwarding a
            chunk (a connection lost mid-stream).
        reset_probability: probability of resetting a new connection (TCP RST).
        bandwidth_bytes_per_second: throughput limit (0: unlimited).
        blackhole: accept connections but never forward or answer.
        direction: where chunk faults apply: ``downstream`` (responses), ``upstream``
            (requests) or ``both``.
        max_lifetime_seconds: the proxy exits after this long even if never stopped.

    Returns:
        ``name``, ``label``, ``listen_host``, ``listen_port``, ``address``
        (``host:port``), ``upstream``, ``faults``, ``pid``, ``run_id``, ``state_key``.
    """
    faults = _faults(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        drop_probability=drop_probability,
        close_probability=close_probability,
        reset_probability=reset_probability,
        bandwidth_bytes_per_second=bandwidth_bytes_per_second,
        blackhole=blackhole,
        direction=direction,
    )
    # the proxy gets the checked addresses, never the names to look up again
    listen_address = check_host(listen_host, configuration)
    upstream_address = check_host(upstream_host, configuration)
    if max_lifetime_seconds <= 0:
        raise ActivityFailed("max_lifetime_seconds must be positive")
    run = run_id(configuration)
    label = f"squall:{KIND}:{name}:{run}"
    store = StateStore.for_configuration(configuration)
    artefacts = store.directory / f"{record_key(KIND, name)}.d"
    control, status = artefacts / "control.json", artefacts / "status.json"

    def prepare(directory: Path) -> list[str]:
        _write_control(control, 1, faults)
        return ["--control-file", str(control), "--status-file", str(status)]

    record, info = _daemon.spawn(
        KIND,
        name,
        "squall.drivers.network.proxy",
        [
            "--listen-host",
            listen_address,
            "--listen-port",
            str(listen_port),
            "--upstream-host",
            upstream_address,
            "--upstream-port",
            str(upstream_port),
            "--max-lifetime",
            str(max_lifetime_seconds),
        ],
        label=label,
        rollback={"function": f"{__name__}.stop_fault_proxy", "arguments": {"name": name}},
        configuration=configuration,
        data={"control_file": str(control), "status_file": str(status), "version": 1},
        prepare=prepare,
    )
    host, port = info["listen_host"], int(info["listen_port"])
    return {
        "name": name,
        "label": label,
        "listen_host": host,
        "listen_port": port,
        "address": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "upstream": f"{upstream_host}:{upstream_port}",
        "faults": faults.to_json(),
        "pid": info["pid"],
        "run_id": record.run_id,
        "state_key": record.key,
    }


def set_proxy_faults(
    name: str = "fault-proxy",
    *,
    latency_ms: float = 0.0,
    jitter_ms: float = 0.0,
    drop_probability: float = 0.0,
    close_probability: float = 0.0,
    reset_probability: float = 0.0,
    bandwidth_bytes_per_second: int = 0,
    blackhole: bool = False,
    direction: str = "downstream",
    timeout_seconds: float = 5.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Replace the faults of a running proxy (fields not given are reset; none: pass-through).

    Returns once the proxy has confirmed the change.

    Args:
        name: the proxy's name (as given to ``start_fault_proxy``).
        latency_ms: delay added to each chunk.
        jitter_ms: random ± variation of the delay.
        drop_probability: probability of dropping a chunk.
        close_probability: probability of closing the connection instead of forwarding a
            chunk (a connection lost mid-stream).
        reset_probability: probability of resetting a new connection.
        bandwidth_bytes_per_second: throughput limit (0: unlimited).
        blackhole: accept connections but never forward or answer.
        direction: ``downstream``, ``upstream`` or ``both``.
        timeout_seconds: how long to wait for the proxy to confirm.

    Returns:
        ``name``, ``faults``, ``version``, ``run_id``, ``state_key``.
    """
    faults = _faults(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        drop_probability=drop_probability,
        close_probability=close_probability,
        reset_probability=reset_probability,
        bandwidth_bytes_per_second=bandwidth_bytes_per_second,
        blackhole=blackhole,
        direction=direction,
    )
    store = StateStore.for_configuration(configuration)
    record = store.load(KIND, name)
    if record is None:
        raise ActivityFailed(f"no fault proxy named {show_value(name)} in {store.directory}")
    pid = record.data.get("pid")
    if pid is None or _daemon.gone(int(pid)):
        raise ActivityFailed(f"fault proxy {show_value(name)} (pid {pid}) is not running")
    version = int(record.data.get("version", 1)) + 1
    _write_control(Path(record.data["control_file"]), version, faults)
    record.data["version"] = version
    store.update(record)
    status_file = Path(record.data["status_file"])
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            if json.loads(status_file.read_text(encoding="utf-8")).get("version") == version:
                return {
                    "name": name,
                    "faults": faults.to_json(),
                    "version": version,
                    "run_id": record.run_id,
                    "state_key": record.key,
                }
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise ActivityFailed(f"fault proxy {show_value(name)} did not confirm the new faults")


def stop_fault_proxy(
    name: str = "fault-proxy",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``start_fault_proxy``: stop the proxy (and remove its files).

    Args:
        name: the proxy's name.

    Returns:
        ``restored``, ``pid``, ``status`` (``stopped``, ``already exited`` ...), ``run_id``,
        ``state_key``; a no-op (``restored`` false) when no such proxy was recorded.
    """
    return _daemon.stop(KIND, name, configuration)
