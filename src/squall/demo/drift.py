"""Security-relevant changes between two versions of the demo config, as alert findings."""

from __future__ import annotations

from typing import Any

from squall.demo.policy import TLS_VERSIONS
from squall.show import show_value

__all__ = ["WATCHED_KEYS", "config_findings"]

WATCHED_KEYS = (
    "auth_enabled",
    "fail_open",
    "min_tls_version",
    "security_headers",
    "rate_limit_per_minute",
    "cors_allowed_origins",
    "check_revocation",
    "auth_url",
    "auth_timeout_seconds",
    "clock_offset_seconds",
    "cert_file",
    "key_file",
    "signing_key_file",
    "revoked_tokens_file",
    "log_file",
)


def _risk(key: str, old: Any, new: Any) -> str | None:
    """The alert kind for a risky change, or None for an ordinary one."""
    if key == "auth_enabled" and old is not False and new is False:
        return "auth_disabled"
    if key == "fail_open" and not old and new:
        return "fail_open_enabled"
    if key == "min_tls_version":
        weak = TLS_VERSIONS.get(str(new), 0) < TLS_VERSIONS["TLSv1.2"]
        lowered = TLS_VERSIONS.get(str(new), 0) < TLS_VERSIONS.get(str(old), 0)
        return "tls_downgrade" if weak or lowered else None
    if key == "security_headers" and old is not False and new is False:
        return "security_headers_disabled"
    if key == "rate_limit_per_minute" and float(new or 0) <= 0 < float(old or 0):
        return "rate_limit_disabled"
    if key == "cors_allowed_origins" and "*" in (new or []) and "*" not in (old or []):
        return "cors_wildcard"
    if key == "check_revocation" and old is not False and new is False:
        return "revocation_disabled"
    return None


def config_findings(
    old: dict[str, Any], new: dict[str, Any]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, detail, data) for each watched key whose value changed."""
    findings: list[tuple[str, str, dict[str, Any]]] = []
    for key in WATCHED_KEYS:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        kind = _risk(key, before, after) or "config_change"
        findings.append(
            (
                kind,
                f"config {key} changed from {show_value(before)} to {show_value(after)}",
                {"key": key, "old": before, "new": after},
            )
        )
    return findings
