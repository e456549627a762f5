"""Plumbing shared by the demo's processes: config, clock, JSON lines, pidfiles, serving."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_NAME",
    "HOST",
    "JsonHandler",
    "QuietServer",
    "append_jsonl",
    "iso",
    "load_config",
    "log",
    "now",
    "parse_state_dir",
    "serve",
    "write_json_atomic",
]

HOST = "127.0.0.1"
CONFIG_NAME = "config.json"
_WRITE_LOCK = threading.Lock()


def load_config(state_dir: Path) -> dict[str, Any]:
    """Read ``state_dir/config.json`` (the file every component shares)."""
    data = json.loads((state_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{state_dir / CONFIG_NAME}: expected a JSON object")
    return data


def now(config: dict[str, Any] | None = None) -> float:
    """The component's notion of now: real time plus ``clock_offset_seconds``."""
    offset = float((config or {}).get("clock_offset_seconds", 0) or 0)
    return time.time() + offset


def iso(ts: float) -> str:
    """An ISO 8601 UTC timestamp with milliseconds."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line (open, write, close: survives the file being moved away)."""
    line = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
    with _WRITE_LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(line)


def write_json_atomic(path: Path, data: Any, mode: int | None = None) -> None:
    """Write JSON through a temporary file and rename, so readers never see half a file
    (``mode``: the file's mode, set before anything is written)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if mode is not None:
        tmp.unlink(missing_ok=True)
        tmp.touch(mode=mode)
        os.chmod(tmp, mode)
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def log(name: str, message: str) -> None:
    """One line on stderr (the component's log file)."""
    print(f"{iso(time.time())} {name}[{os.getpid()}] {message}", file=sys.stderr, flush=True)


def parse_state_dir(name: str, argv: list[str] | None = None) -> Path:
    """Parse ``--state-dir DIR`` for ``python -m squall.demo.<name>``."""
    parser = argparse.ArgumentParser(prog=f"python -m squall.demo.{name}")
    parser.add_argument("--state-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    return Path(args.state_dir).resolve()


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler with JSON helpers and quiet logging."""

    server_version = "squall-demo"
    sys_version = ""
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20)) if length else b""
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {"value": data}

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that logs connection errors in one line."""

    daemon_threads = True
    allow_reuse_address = True
    component = "demo"
    generation = 0
    """How many times the configuration was reloaded (shown by ``/health``)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        log(self.component, f"connection from {client_address[0]}: {exc!r}")


def serve(
    server: ThreadingHTTPServer,
    name: str,
    state_dir: Path,
    on_reload: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Write the pidfile, handle SIGHUP (reload) and SIGTERM/SIGINT (stop), serve."""
    pidfile = state_dir / f"{name}.pid"
    pidfile.write_text(f"{os.getpid()}\n", encoding="utf-8")

    def stop(signum: int, frame: Any) -> None:
        if on_stop is not None:
            on_stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    def reload(signum: int, frame: Any) -> None:
        if on_reload is None:
            return
        try:
            on_reload()
            if isinstance(server, QuietServer):
                server.generation += 1
            log(name, "configuration reloaded")
        except Exception as exc:
            log(name, f"reload failed, keeping the previous configuration: {exc!r}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reload)
    host, port = server.server_address[:2]
    log(name, f"listening on {host!s}:{port}")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            if pidfile.read_text(encoding="utf-8").strip() == str(os.getpid()):
                pidfile.unlink()
        except OSError:
            pass
        log(name, "stopped")
