"""Payload encryption keys: parsing and identifying them (no temporalio here).

A key is 32 random bytes (AES-256), written as base64: ``SQUALL_TEMPORAL_KEY`` holds one or
more, comma-separated, or a key file holds one a line (``#`` starts a comment). The first
key encrypts; every key listed decrypts, so keys rotate by putting the new key first and
keeping the old ones until no history needs them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from squall._record import Record
from squall.errors import InputError

__all__ = ["KEY_BYTES", "PayloadKey", "parse_keys", "read_key_file"]

KEY_BYTES = 32


class PayloadKey(Record):
    """One AES-256 key and its id (a fingerprint: the first 16 hex digits of its SHA-256)."""

    __slots__ = ("id", "secret")

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.id = hashlib.sha256(b"squall-payload-key:" + secret).hexdigest()[:16]

    def __repr__(self) -> str:  # never the key itself
        return f"PayloadKey(id={self.id!r})"


def parse_keys(texts: list[str], where: str) -> tuple[PayloadKey, ...]:
    """The keys written in ``texts`` (base64 each); ``where`` names their source.

    Raises:
        InputError: a text is not base64 of exactly 32 bytes (the key is never echoed).
    """
    keys: list[PayloadKey] = []
    for number, text in enumerate(texts, 1):
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            secret = b""
        if len(secret) != KEY_BYTES:
            raise InputError(
                f"{where}: key {number} is not base64 of {KEY_BYTES} bytes "
                '(make one with: python -c "import base64, os; '
                'print(base64.b64encode(os.urandom(32)).decode())")'
            )
        keys.append(PayloadKey(secret))
    return tuple(keys)


def read_key_file(path: str, where: str) -> tuple[PayloadKey, ...]:
    """The keys of a key file: one base64 key a line, blank lines and ``#`` comments skipped.

    Raises:
        InputError: the file cannot be read, holds no key, or holds a malformed one.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read the key file {path}: {exc}") from None
    texts = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not texts:
        raise InputError(f"{where}: the key file {path} holds no key")
    return parse_keys(texts, f"{where} ({path})")
