"""A tiny reloadable target for the action tests (run as a script, not imported by pytest).

    python target_app.py CONFIG_FILE READY_FILE

Serves HTTPS on 127.0.0.1 (port 0) from a JSON config and re-reads it on SIGHUP (the
reloadable-target contract of docs/drivers/actions.md). Keys used: ``cert_file``,
``key_file``, ``min_tls_version``, ``auth_enabled``, ``clock_offset_seconds``,
``revoked_tokens_file``, ``signing_key_file``, ``log_file``; ``login_limit`` (bad logins
before 429). Endpoints:

- ``GET /state``: the effective settings and ``generation`` (number of loads), no auth;
- ``GET /protected``: 200 with ``Authorization: Bearer <HMAC(signing key, "alice")>``
  unless auth is disabled (then 200 for anyone); 401 for a bad or revoked token;
- ``POST /login``: always a bad login here: 401, then 429 after ``login_limit`` failures.

Every request appends a line to ``log_file`` (opened by path each time). The process exits
after 120 s in any case.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import ssl
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

warnings.simplefilter("ignore", DeprecationWarning)

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


class State:
    def __init__(self, config_file: Path) -> None:
        self.config_file = config_file
        self.generation = 0
        self.last_error = ""
        self.failures = 0
        self.log_errors = 0
        self.lock = threading.Lock()
        self.load()

    def load(self) -> None:
        try:
            config = json.loads(self.config_file.read_text())
            base = self.config_file.parent
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = VERSIONS[config.get("min_tls_version", "TLSv1.2")]
            cert = base / config["cert_file"]
            context.load_cert_chain(cert, base / config.get("key_file", cert))
            key = (base / config["signing_key_file"]).read_bytes().strip()
            revoked_path = base / config["revoked_tokens_file"]
            text = revoked_path.read_text() if revoked_path.exists() else ""
            if text.strip().startswith("["):
                revoked = set(json.loads(text))
            else:
                revoked = {x.strip() for x in text.splitlines() if x.strip() and x[0] != "#"}
        except Exception as exc:  # keep serving the previous state
            self.last_error = repr(exc)
            return
        with self.lock:
            self.config, self.context, self.key, self.revoked = config, context, key, revoked
            self.generation += 1
            self.last_error = ""

    def good_token(self) -> str:
        return hmac.new(self.key, b"alice", hashlib.sha256).hexdigest()


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request = self.server.state.context.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        state = self.server.state
        log = state.config_file.parent / state.config["log_file"]
        try:
            with open(log, "a") as handle:
                handle.write(f"{time.time():.3f} {format % args}\n")
        except OSError:
            state.log_errors += 1

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        state = self.server.state
        config = state.config
        if self.path == "/state":
            self.reply(
                200,
                {
                    "generation": state.generation,
                    "last_error": state.last_error,
                    "min_tls_version": config.get("min_tls_version"),
                    "auth_enabled": config.get("auth_enabled", True),
                    "clock_offset_seconds": config.get("clock_offset_seconds", 0),
                    "now": time.time() + float(config.get("clock_offset_seconds", 0)),
                    "revoked": len(state.revoked),
                    "log_errors": state.log_errors,
                },
            )
        elif self.path == "/protected":
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            ok = not config.get("auth_enabled", True) or (
                hmac.compare_digest(token, state.good_token()) and token not in state.revoked
            )
            self.reply(200 if ok else 401, {"ok": ok})
        else:
            self.reply(404, {})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state = self.server.state
        with state.lock:
            state.failures += 1
            blocked = state.failures > int(state.config.get("login_limit", 5))
        self.reply(429 if blocked else 401, {"ok": False})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def main() -> None:
    config_file, ready_file = Path(sys.argv[1]), Path(sys.argv[2])
    state = State(config_file)
    if state.generation == 0:
        raise SystemExit(f"bad config: {state.last_error}")
    server = Server(("127.0.0.1", 0), Handler)
    server.state = state
    signal.signal(signal.SIGHUP, lambda *_: state.load())
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    threading.Timer(120, server.shutdown).start()
    tmp = ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"port": server.server_address[1], "pid": os.getpid()}))
    os.replace(tmp, ready_file)
    server.serve_forever(poll_interval=0.1)
    os._exit(0)


if __name__ == "__main__":
    main()
