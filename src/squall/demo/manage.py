"""Bring the demo up and down, and report its status: ``up``, ``down``, ``status``."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from squall.demo.common import write_json_atomic
from squall.demo.config import (
    COMPONENTS,
    DEMO_USER,
    DemoError,
    Layout,
    build_config,
    new_password,
)
from squall.demo.health import PortInUse, check_health, generation, wait_healthy
from squall.demo.procs import (
    find_processes,
    free_ports,
    is_alive,
    is_ours,
    port_free,
    read_pid,
    spawn,
    terminate,
)

__all__ = [
    "ComponentStatus",
    "DemoError",
    "DemoInfo",
    "DemoStatus",
    "down",
    "reload",
    "status",
    "up",
]

_START_ORDER = ("webhook", "auth", "api", "detector")


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """What ``up`` started; ``data`` is the content of ``demo.json``."""

    state_dir: Path
    data: dict[str, Any]

    @property
    def api_url(self) -> str:
        return str(self.data["api_url"])

    @property
    def ports(self) -> dict[str, int]:
        return dict(self.data["ports"])

    @property
    def pids(self) -> dict[str, int]:
        return dict(self.data["pids"])

    def path(self, key: str) -> Path:
        """A file recorded in ``demo.json`` (``cert_file``, ``alerts_file``, ...)."""
        return Path(self.data[key])


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """One component: whether its process runs and whether it answers its health check."""

    name: str
    pid: int | None
    port: int | None
    running: bool
    healthy: bool


@dataclass(frozen=True, slots=True)
class DemoStatus:
    """The whole demo: ``running`` if every process runs, ``healthy`` if every one answers."""

    state_dir: Path
    components: dict[str, ComponentStatus] = field(default_factory=dict)
    misconfigured: bool | None = None

    @property
    def running(self) -> bool:
        return bool(self.components) and all(c.running for c in self.components.values())

    @property
    def healthy(self) -> bool:
        return bool(self.components) and all(c.healthy for c in self.components.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "state_dir": str(self.state_dir),
            "running": self.running,
            "healthy": self.healthy,
            "misconfigured": self.misconfigured,
            "components": {n: asdict(c) for n, c in self.components.items()},
        }


def _read_demo(layout: Layout) -> dict[str, Any]:
    try:
        data = json.loads(layout.demo_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _running_pids(layout: Layout) -> dict[str, int]:
    """Live components of this state dir: pidfile, then demo.json, then a /proc scan."""
    recorded = _read_demo(layout).get("pids", {})
    found: dict[str, int] = {}
    for name in COMPONENTS:
        for pid in (read_pid(layout.pidfile(name)), recorded.get(name)):
            if isinstance(pid, int) and is_alive(pid) and is_ours(pid, name, layout.state_dir):
                found[name] = pid
                break
        else:
            if scanned := find_processes(name, layout.state_dir):
                found[name] = scanned[0]
    return found


def _choose_ports(base_port: int | None) -> dict[str, int]:
    if base_port is None or base_port == 0:
        return dict(zip(COMPONENTS, free_ports(len(COMPONENTS)), strict=True))
    if not 1 <= base_port <= 65535 - len(COMPONENTS):
        raise DemoError(f"base port {base_port} is out of range")
    ports = {name: base_port + i for i, name in enumerate(COMPONENTS)}
    taken = [f"{port} ({name})" for name, port in ports.items() if not port_free(port)]
    if taken:
        ports_word = "port" if len(taken) == 1 else "ports"
        raise DemoError(
            f"{ports_word} {', '.join(taken)} on 127.0.0.1 already in use; "
            f"choose another --base-port or stop what listens there"
        )
    return ports


def _prepare(
    layout: Layout, ports: dict[str, int], misconfigured: bool
) -> tuple[dict[str, Any], str]:
    from squall.drivers.security._pki import make_authority, make_leaf

    files = layout.files()
    for directory in (
        layout.state_dir,
        layout.tls_dir,
        layout.logs_dir,
        layout.secrets_dir,
        files["signing_key_file"].parent,
    ):
        directory.mkdir(parents=True, exist_ok=True)
    authority = make_authority("squall demo CA")
    authority.write(files["ca_file"])
    make_leaf(authority, ["localhost", "127.0.0.1"], days_valid=90).write(
        files["cert_file"], files["key_file"]
    )
    os.chmod(files["key_file"], 0o644 if misconfigured else 0o600)
    key_file = files["signing_key_file"]
    key_file.touch(mode=0o600)
    key_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    files["revoked_tokens_file"].write_text(
        "# revoked tokens or token ids (jti), one a line\n", encoding="utf-8"
    )
    readme = layout.secrets_dir / "README.txt"
    readme.write_text(
        "Files here are scanned by the demo detector for secrets.\n", encoding="utf-8"
    )
    layout.demo_file.unlink(missing_ok=True)
    for key in ("log_file", "alerts_file", "webhook_file", "heartbeat_file"):
        files[key].unlink(missing_ok=True)
    for name in COMPONENTS:
        layout.pidfile(name).unlink(missing_ok=True)
        layout.logfile(name).write_text("", encoding="utf-8")
    password = new_password()
    config = build_config(layout, ports, password, misconfigured=misconfigured)
    write_json_atomic(layout.config_file, config)
    return config, password


def _demo_data(
    layout: Layout, ports: dict[str, int], pids: dict[str, int], password: str, misconfigured: bool
) -> dict[str, Any]:
    host = "127.0.0.1"
    return {
        "version": 1,
        "state_dir": str(layout.state_dir),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "misconfigured": misconfigured,
        "host": host,
        "api_url": f"https://{host}:{ports['api']}",
        "api_hostname_url": f"https://localhost:{ports['api']}",
        "auth_url": f"http://{host}:{ports['auth']}",
        "webhook_url": f"http://{host}:{ports['webhook']}/alerts",
        "detector_url": f"http://{host}:{ports['detector']}",
        "ports": ports,
        "pids": pids,
        "pidfiles": {name: str(layout.pidfile(name)) for name in COMPONENTS},
        "component_logs": {name: str(layout.logfile(name)) for name in COMPONENTS},
        **{key: str(path) for key, path in layout.files().items()},
        "audit_log": str(layout.files()["log_file"]),
        "user": DEMO_USER,
        "password": password,
    }


def _start_all(layout: Layout, config: dict[str, Any]) -> dict[str, int]:
    """Start the components in order, each healthy before the next; all or nothing."""
    pids: dict[str, int] = {}
    try:
        for name in _START_ORDER:
            try:
                pids[name] = spawn(name, layout.state_dir, layout.logfile(name))
            except OSError as exc:
                raise DemoError(str(exc)) from exc
            wait_healthy(name, pids[name], config, layout, deadline=time.monotonic() + 15)
    except BaseException:
        terminate(list(pids.values()))
        for name in COMPONENTS:
            layout.pidfile(name).unlink(missing_ok=True)
        raise
    return pids


def up(state_dir: Path, *, misconfigured: bool = False, base_port: int | None = None) -> DemoInfo:
    """Start the four processes, wait until each is healthy and write ``demo.json``."""
    layout = Layout(Path(state_dir).resolve())
    if running := _running_pids(layout):
        raise DemoError(
            f"the demo in {layout.state_dir} is already running (pids {running}); run down first"
        )
    for attempt in range(3):
        ports = _choose_ports(base_port)
        config, password = _prepare(layout, ports, misconfigured)
        try:
            pids = _start_all(layout, config)
            break
        except PortInUse:
            # A free port was taken between choosing and binding: choose again.
            if base_port or attempt == 2:
                raise
    data = _demo_data(layout, ports, pids, password, misconfigured)
    write_json_atomic(layout.demo_file, data, mode=0o600)  # it holds the user's password
    return DemoInfo(layout.state_dir, data)


def down(state_dir: Path) -> None:
    """Stop every process of the demo in ``state_dir`` and wait for them; idempotent."""
    layout = Layout(Path(state_dir).resolve())
    running = _running_pids(layout)
    survivors = terminate(list(running.values()))
    for name in COMPONENTS:
        with contextlib.suppress(OSError):
            layout.pidfile(name).unlink(missing_ok=True)
    if survivors:
        raise DemoError(f"could not stop pids {survivors}")


def status(state_dir: Path) -> DemoStatus:
    """Which components run, on which ports, and whether they answer their health checks."""
    layout = Layout(Path(state_dir).resolve())
    data = _read_demo(layout)
    if not data:
        return DemoStatus(layout.state_dir)
    running = _running_pids(layout)
    components: dict[str, ComponentStatus] = {}
    for name in COMPONENTS:
        port = data.get("ports", {}).get(name)
        pid = running.get(name)
        healthy = pid is not None and check_health(name, data)
        components[name] = ComponentStatus(name, pid, port, pid is not None, healthy)
    return DemoStatus(layout.state_dir, components, bool(data.get("misconfigured")))


def reload(state_dir: Path, components: tuple[str, ...] = ("api", "auth", "detector")) -> list[str]:
    """Send SIGHUP to ``components`` so they re-read ``config.json``; return those signalled."""
    layout = Layout(Path(state_dir).resolve())
    running = _running_pids(layout)
    missing = [name for name in components if name not in running]
    if missing:
        raise DemoError(f"not running in {layout.state_dir}: {', '.join(missing)}")
    data = _read_demo(layout)
    before = {name: generation(name, data) for name in components}
    for name in components:
        os.kill(running[name], signal.SIGHUP)
    deadline = time.monotonic() + 5
    pending = list(components)
    while pending and time.monotonic() < deadline:
        pending = [n for n in pending if generation(n, data) <= before[n]]
        if pending:
            time.sleep(0.05)
    if pending:
        raise DemoError(
            f"{', '.join(pending)} did not reload (bad config.json?); see {layout.logs_dir}"
        )
    return list(components)
