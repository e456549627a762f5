"""HMAC-signed bearer tokens with ``exp``, password hashing and the revocation list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PREFIX",
    "Verdict",
    "check_password",
    "hash_password",
    "issue",
    "read_revoked",
    "verify",
]

PREFIX = "sq1"
_ITERATIONS = 20_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def issue(key: bytes, user: str, now: float, ttl_seconds: float) -> tuple[str, dict[str, Any]]:
    """A token ``sq1.<payload>.<signature>`` for ``user``, valid ``ttl_seconds`` from ``now``."""
    claims: dict[str, Any] = {
        "sub": user,
        "iat": int(now),
        "exp": int(now + ttl_seconds),
        "jti": secrets.token_hex(8),
    }
    body = f"{PREFIX}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
    return f"{body}.{_sign(key, body)}", claims


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying a token: ``reason`` is empty when it is valid."""

    valid: bool
    reason: str = ""
    claims: dict[str, Any] | None = None


def verify(
    key: bytes, token: str, now: float, revoked: frozenset[str], check_revocation: bool = True
) -> Verdict:
    """Check format, signature, expiry (against ``now``) and the revocation list."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return Verdict(False, "malformed")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(key, body), parts[2]):
        return Verdict(False, "bad_signature")
    try:
        claims = json.loads(_unb64(parts[1]))
    except ValueError:
        return Verdict(False, "malformed")
    if not isinstance(claims, dict):
        return Verdict(False, "malformed")
    if float(claims.get("exp", 0)) <= now:
        return Verdict(False, "expired", claims)
    if float(claims.get("iat", 0)) > now + 60:
        return Verdict(False, "not_yet_valid", claims)
    if check_revocation and (token in revoked or str(claims.get("jti")) in revoked):
        return Verdict(False, "revoked", claims)
    return Verdict(True, "", claims)


def read_revoked(path: Path) -> frozenset[str]:
    """Revoked tokens or token ids (``jti``), one a line; blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def hash_password(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """A PBKDF2-SHA256 record for the config's ``users`` map."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return {"salt": salt.hex(), "hash": digest.hex(), "iterations": _ITERATIONS}


def check_password(record: dict[str, Any], password: str) -> bool:
    """Constant-time comparison of ``password`` against a ``hash_password`` record."""
    try:
        salt = bytes.fromhex(str(record["salt"]))
        expected = bytes.fromhex(str(record["hash"]))
        iterations = int(record.get("iterations", _ITERATIONS))
    except (KeyError, ValueError, TypeError):
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(digest, expected)
