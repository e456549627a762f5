"""The demo's HTTPS API with token auth, rate limit, headers, CORS and an audit log."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from squall.demo.common import (
    HOST,
    JsonHandler,
    QuietServer,
    append_jsonl,
    iso,
    load_config,
    log,
    now,
    parse_state_dir,
    serve,
)
from squall.demo.policy import Policy, make_policy

__all__ = ["ITEMS", "ApiServer", "main"]

ITEMS = [
    {"id": 1, "name": "anemometer"},
    {"id": 2, "name": "barometer"},
    {"id": 3, "name": "rain gauge"},
]


class ApiHandler(JsonHandler):
    """Routes: ``/health`` (public), ``POST /login``, ``/api/items`` (bearer token)."""

    server: ApiServer

    def setup(self) -> None:
        self.policy = self.server.policy
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def version_string(self) -> str:
        return self.policy.server_header

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_OPTIONS(self) -> None:
        cors = self.policy.cors_headers(self.headers.get("Origin"))
        if cors:
            cors["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            cors["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            cors["Access-Control-Max-Age"] = "600"
        self._reply(204, None, cors)
        self._audit(204, None, auth="none", event="preflight")

    def _reply(self, status: int, body: Any, extra: dict[str, str] | None = None) -> None:
        headers = dict(self.policy.headers)
        headers.update(self.policy.cors_headers(self.headers.get("Origin")))
        headers.update(extra or {})
        if body is None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_json(status, body, headers)

    def _audit(self, status: int, user: str | None, **fields: Any) -> None:
        ts = time.time()
        record: dict[str, Any] = {
            "time": iso(ts),
            "ts": ts,
            "client": self.client_address[0],
            "method": self.command,
            "path": urlsplit(self.path).path,
            "status": status,
            "user": user,
            "run_id": self.headers.get("X-Squall-Run-Id"),
        }
        record.update(fields)
        try:
            append_jsonl(Path(self.policy.config["log_file"]), record)
        except OSError as exc:
            log("api", f"audit log write failed: {exc!r}")

    def _handle(self) -> None:
        path = urlsplit(self.path).path
        config = self.policy.config
        if path == "/health":
            body = {"status": "ok", "component": "api", "generation": self.server.generation}
            self._reply(200, {**body, "time": iso(now(config))})
            return
        if not self.policy.limiter.allow(self.client_address[0]):
            retry = max(1, round(60 / max(float(config.get("rate_limit_per_minute", 60)), 1)))
            self._reply(429, {"error": "too many requests"}, {"Retry-After": str(retry)})
            self._audit(429, None, auth="none", event="rate_limited")
            return
        if path == "/login":
            self._login()
        elif path == "/api" or path.startswith("/api/"):
            self._protected(path)
        else:
            self._reply(404, {"error": "not found"})
            self._audit(404, None, auth="none")

    def _login(self) -> None:
        if self.command != "POST":
            self._reply(405, {"error": "use POST"}, {"Allow": "POST"})
            self._audit(405, None, auth="none")
            return
        if "json" in self.headers.get("Content-Type", "json"):
            body = self.read_json()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(min(length, 1 << 16)).decode("utf-8", "replace"))
            body = {key: values[0] for key, values in form.items()}
        user = str(body.get("user") or body.get("username") or "")
        status, answer = self.policy.login(user, str(body.get("password", "")))
        self._reply(status, answer)
        event = {200: "login", 401: "login_failed"}.get(status, "login_unavailable")
        self._audit(status, user or None, auth="password", event=event)

    def _protected(self, path: str) -> None:
        user: str | None = None
        if not self.policy.auth_enabled:
            auth = "disabled"
        else:
            header = self.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                self._deny(401, "missing", "bearer token required")
                return
            check = self.policy.check_token(token.strip())
            if check.ok:
                auth, user = "token", check.user
            elif check.unavailable and self.policy.fail_open:
                auth = "fail_open"
            elif check.unavailable:
                self._deny(503, "unavailable", check.reason, {"Retry-After": "5"})
                return
            else:
                self._deny(401, "invalid", check.reason)
                return
        if path == "/api/items" and self.command in ("GET", "HEAD"):
            self._reply(200, {"items": ITEMS, "user": user})
            self._audit(200, user, auth=auth)
        else:
            self._reply(404, {"error": "not found"})
            self._audit(404, user, auth=auth)

    def _deny(
        self, status: int, auth: str, reason: str, extra: dict[str, str] | None = None
    ) -> None:
        headers = {"WWW-Authenticate": 'Bearer realm="squall-demo"'} if status == 401 else {}
        headers.update(extra or {})
        self._reply(status, {"error": reason}, headers)
        self._audit(status, None, auth=auth, reason=reason)


class ApiServer(QuietServer):
    """TLS is negotiated per connection with the current policy, so a reload swaps certificates."""

    component = "api"

    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir = state_dir
        self.policy: Policy = make_policy(load_config(state_dir))
        super().__init__((HOST, port), ApiHandler)

    def get_request(self) -> tuple[Any, Any]:
        conn, addr = self.socket.accept()
        try:
            tls = self.policy.ssl_context.wrap_socket(
                conn, server_side=True, do_handshake_on_connect=False
            )
        except OSError:
            conn.close()
            raise
        return tls, addr

    def reload(self) -> None:
        old, self.policy = self.policy, make_policy(load_config(self.state_dir))
        timer = threading.Timer(30, old.close)
        timer.daemon = True
        timer.start()


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m squall.demo.api --state-dir DIR``."""
    state_dir = parse_state_dir("api", argv)
    port = int(load_config(state_dir)["api_port"])
    try:
        server = ApiServer(state_dir, port)
    except OSError as exc:
        log("api", f"cannot start on port {port}: {exc}")
        raise SystemExit(1) from exc
    serve(server, "api", state_dir, on_reload=server.reload)


if __name__ == "__main__":
    main()
