"""The demo's auth service: issues and verifies HMAC-signed tokens (``-m squall.demo.auth``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from squall.demo.common import HOST, JsonHandler, QuietServer, load_config, log, now, serve
from squall.demo.tokens import check_password, issue, read_revoked, verify

__all__ = ["AuthState", "main"]


class AuthState:
    """Configuration, signing key and revocation list; files re-read when they change."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._lock = threading.Lock()
        self._stamps: dict[str, tuple[int, int]] = {}
        self._key = b""
        self._revoked: frozenset[str] = frozenset()
        self.config: dict[str, Any] = {}
        self.reload()

    def reload(self) -> None:
        config = load_config(self.state_dir)
        with self._lock:
            self.config = config
            self._stamps.clear()
        self._refresh()

    def _changed(self, name: str, path: Path) -> bool:
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = (0, -1)
        if self._stamps.get(name) == stamp:
            return False
        self._stamps[name] = stamp
        return True

    def _refresh(self) -> None:
        with self._lock:
            key_path = Path(self.config["signing_key_file"])
            if self._changed("key", key_path):
                self._key = key_path.read_bytes().strip()
            revoked_path = Path(self.config["revoked_tokens_file"])
            if self._changed("revoked", revoked_path):
                self._revoked = read_revoked(revoked_path)

    def key_and_revoked(self) -> tuple[dict[str, Any], bytes, frozenset[str]]:
        self._refresh()
        with self._lock:
            return self.config, self._key, self._revoked


class AuthHandler(JsonHandler):
    """``GET /health``, ``POST /token`` (user, password) and ``POST /verify`` (token)."""

    server: AuthServer

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/health":
            self.send_json(
                200, {"status": "ok", "component": "auth", "generation": self.server.generation}
            )
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = self.path.split("?")[0]
        if path == "/token":
            self._token()
        elif path == "/verify":
            self._verify()
        else:
            self.send_json(404, {"error": "not found"})

    def _token(self) -> None:
        body = self.read_json()
        config, key, _ = self.server.state.key_and_revoked()
        user, password = str(body.get("user", "")), str(body.get("password", ""))
        record = config.get("users", {}).get(user)
        if not isinstance(record, dict) or not check_password(record, password):
            self.send_json(401, {"error": "invalid credentials"})
            return
        ttl = float(config.get("token_ttl_seconds", 3600))
        token, claims = issue(key, user, now(config), ttl)
        self.send_json(
            200,
            {
                "token": token,
                "token_type": "Bearer",
                "expires_at": claims["exp"],
                "jti": claims["jti"],
            },
        )

    def _verify(self) -> None:
        body = self.read_json()
        config, key, revoked = self.server.state.key_and_revoked()
        check = bool(config.get("check_revocation", True))
        verdict = verify(key, str(body.get("token", "")), now(config), revoked, check)
        claims = verdict.claims or {}
        if verdict.valid:
            self.send_json(
                200, {"valid": True, "user": claims.get("sub"), "exp": claims.get("exp")}
            )
        else:
            self.send_json(401, {"valid": False, "reason": verdict.reason})


class AuthServer(QuietServer):
    """The auth HTTP server with its state."""

    component = "auth"

    def __init__(self, state: AuthState, port: int) -> None:
        self.state = state
        super().__init__((HOST, port), AuthHandler)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m squall.demo.auth --state-dir DIR``."""
    from squall.demo.common import parse_state_dir

    state_dir = parse_state_dir("auth", argv)
    state = AuthState(state_dir)
    try:
        server = AuthServer(state, int(state.config["auth_port"]))
    except OSError as exc:
        log("auth", f"cannot listen on port {state.config['auth_port']}: {exc}")
        raise SystemExit(1) from exc
    serve(server, "auth", state_dir, on_reload=state.reload)


if __name__ == "__main__":
    main()
