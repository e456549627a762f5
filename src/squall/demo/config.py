"""The demo's files and its shared ``config.json``: defaults and the misconfigured mode."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall.demo.tokens import hash_password
from squall.errors import SquallError

__all__ = [
    "COMPONENTS",
    "DEFAULT_BASE_PORT",
    "DEMO_USER",
    "MISCONFIGURATION",
    "DemoError",
    "Layout",
    "build_config",
    "new_password",
]

COMPONENTS = ("api", "auth", "webhook", "detector")
DEFAULT_BASE_PORT = 8443
DEMO_USER = "alice"

MISCONFIGURATION: dict[str, Any] = {
    "fail_open": True,
    "rate_limit_per_minute": 0,
    "security_headers": False,
    "cors_allowed_origins": ["*"],
    "min_tls_version": "TLSv1",
    "check_revocation": False,
    "detector_watch_ports": False,
}
"""What ``up(misconfigured=True)`` changes in the config (plus a world-readable key file)."""


class DemoError(SquallError):
    """The demo could not be started (port taken, a component died) or is in a bad state."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class Layout:
    """Where every file of a demo lives under its state directory."""

    state_dir: Path

    @property
    def config_file(self) -> Path:
        return self.state_dir / "config.json"

    @property
    def demo_file(self) -> Path:
        return self.state_dir / "demo.json"

    @property
    def tls_dir(self) -> Path:
        return self.state_dir / "tls"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "watched"

    def files(self) -> dict[str, Path]:
        """The paths recorded in ``demo.json`` (and mostly in ``config.json``)."""
        d = self.state_dir
        return {
            "config_file": self.config_file,
            "cert_file": self.tls_dir / "api.crt",
            "key_file": self.tls_dir / "api.key",
            "ca_file": self.tls_dir / "ca.crt",
            "signing_key_file": d / "keys" / "signing.key",
            "revoked_tokens_file": d / "revoked_tokens.txt",
            "log_file": self.logs_dir / "audit.jsonl",
            "alerts_file": d / "alerts.jsonl",
            "webhook_file": d / "webhook.jsonl",
            "heartbeat_file": d / "detector.heartbeat",
            "secrets_dir": self.secrets_dir,
            "logs_dir": self.logs_dir,
        }

    def pidfile(self, component: str) -> Path:
        return self.state_dir / f"{component}.pid"

    def logfile(self, component: str) -> Path:
        return self.logs_dir / f"{component}.log"


def build_config(
    layout: Layout, ports: dict[str, int], password: str, *, misconfigured: bool
) -> dict[str, Any]:
    """The full ``config.json`` for a demo on ``ports`` with one user (``DEMO_USER``)."""
    files = {k: str(v) for k, v in layout.files().items() if k not in ("config_file", "logs_dir")}
    config: dict[str, Any] = {
        **files,
        **{f"{name}_port": port for name, port in ports.items()},
        "min_tls_version": "TLSv1.2",
        "auth_enabled": True,
        "auth_url": f"http://127.0.0.1:{ports['auth']}",
        "auth_timeout_seconds": 1.0,
        "fail_open": False,
        "rate_limit_per_minute": 60,
        "security_headers": True,
        "cors_allowed_origins": [f"https://localhost:{ports['api']}", "https://app.example.test"],
        "clock_offset_seconds": 0,
        "check_revocation": True,
        "token_ttl_seconds": 3600,
        "users": {DEMO_USER: hash_password(password)},
        "webhook_url": f"http://127.0.0.1:{ports['webhook']}/alerts",
        "detector_poll_seconds": 0.5,
        "detector_watch_ports": True,
        "detector_watch_secrets": True,
        "detector_watch_audit_log": True,
        "detector_watch_cert": True,
        "detector_watch_config": True,
        "port_allowlist": [],
        "brute_force_threshold": 10,
        "brute_force_window_seconds": 60,
        "cert_warn_days": 14,
    }
    if misconfigured:
        config.update(MISCONFIGURATION)
    return config


def new_password() -> str:
    """A random password for the demo user."""
    return secrets.token_urlsafe(12)
