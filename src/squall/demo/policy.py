"""The API's reloadable policy: TLS context, rate limiter, headers, CORS and the auth client."""

from __future__ import annotations

import platform
import ssl
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import httpx

from squall.show import show_value

__all__ = ["TLS_VERSIONS", "AuthCheck", "Policy", "RateLimiter", "make_policy"]

TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    """A server context with the configured certificate and minimum protocol version."""
    name = str(config.get("min_tls_version", "TLSv1.2"))
    if name not in TLS_VERSIONS:
        raise ValueError(
            f"min_tls_version {show_value(name)}: "
            f"expected one of {show_value(sorted(TLS_VERSIONS))}"
        )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion(TLS_VERSIONS[name])
    if TLS_VERSIONS[name] < TLS_VERSIONS["TLSv1.2"]:
        # OpenSSL 3's default security level refuses TLS 1.0/1.1 whatever the minimum says.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(str(config["cert_file"]), str(config["key_file"]))
    return ctx


class RateLimiter:
    """A token bucket per client: ``per_minute`` capacity, refilled at ``per_minute``/60 a second.

    ``per_minute <= 0`` disables limiting.
    """

    def __init__(self, per_minute: float) -> None:
        self.per_minute = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        if self.per_minute <= 0:
            return True
        current = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.per_minute, current))
            tokens = min(self.per_minute, tokens + (current - last) * self.per_minute / 60)
            allowed = tokens >= 1
            self._buckets[client] = (tokens - 1 if allowed else tokens, current)
            return allowed


@dataclass(frozen=True, slots=True)
class AuthCheck:
    """The auth service's answer: ``ok`` (valid token), else ``reason``; ``unavailable`` if down."""

    ok: bool
    user: str | None = None
    reason: str = ""
    unavailable: bool = False


@dataclass(slots=True)
class Policy:
    """Everything the API derives from its config file; replaced as a whole on SIGHUP."""

    config: dict[str, Any]
    ssl_context: ssl.SSLContext
    limiter: RateLimiter
    client: httpx.Client
    server_header: str = "squall-demo"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.config.get("auth_enabled", True))

    @property
    def fail_open(self) -> bool:
        return bool(self.config.get("fail_open", False))

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        """CORS response headers for ``origin`` (empty if it is not allowed)."""
        allowed = [str(o) for o in self.config.get("cors_allowed_origins", [])]
        if not origin or (origin not in allowed and "*" not in allowed):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin",
        }

    def check_token(self, token: str) -> AuthCheck:
        """Ask the auth service; timeouts, refusals and 5xx mean ``unavailable``."""
        url = str(self.config["auth_url"]).rstrip("/") + "/verify"
        try:
            response = self.client.post(url, json={"token": token})
        except httpx.HTTPError as exc:
            return AuthCheck(
                False, reason=f"auth service unavailable: {type(exc).__name__}", unavailable=True
            )
        if response.status_code == 200:
            return AuthCheck(True, user=str(response.json().get("user")))
        if response.status_code in (400, 401, 403):
            try:
                reason = str(response.json().get("reason", "invalid"))
            except ValueError:
                reason = "invalid"
            return AuthCheck(False, reason=reason)
        return AuthCheck(
            False, reason=f"auth service answered {response.status_code}", unavailable=True
        )

    def login(self, user: str, password: str) -> tuple[int, dict[str, Any]]:
        """Forward a login to the auth service: (status, body); 503 if it is unavailable."""
        url = str(self.config["auth_url"]).rstrip("/") + "/token"
        try:
            response = self.client.post(url, json={"user": user, "password": password})
        except httpx.HTTPError as exc:
            return 503, {"error": f"auth service unavailable: {type(exc).__name__}"}
        if response.status_code in (200, 401):
            body = response.json()
            return response.status_code, body if isinstance(body, dict) else {}
        return 503, {"error": f"auth service answered {response.status_code}"}

    def close(self) -> None:
        self.client.close()


def make_policy(config: dict[str, Any]) -> Policy:
    """Build a policy from a config mapping (raises if the certificate cannot be loaded)."""
    ssl_context = tls_context(config)
    limiter = RateLimiter(float(config.get("rate_limit_per_minute", 60)))
    if config.get("security_headers", True):
        server, headers = "squall-demo", dict(SECURITY_HEADERS)
    else:
        version = f"Python/{platform.python_version()}"
        server, headers = f"squall-demo/0.1 {version}", {"X-Powered-By": version}
    timeout = float(config.get("auth_timeout_seconds", 1.0))
    client = httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False)
    return Policy(config, ssl_context, limiter, client, server, headers)
