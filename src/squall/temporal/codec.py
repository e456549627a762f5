"""The payload codec: every payload squall sends to Temporal is encrypted (AES-256-GCM).

Temporal persists workflow inputs, activity results and signals in its history; with a
key configured, the server (and anyone who reads its database or UI) sees only
ciphertext. Each encrypted payload carries the id of the key that encrypted it, so keys
rotate: the first key encrypts, any key listed decrypts. Without a key, payloads pass
through unchanged, and an encrypted one fails with a message that says which key is
missing (rather than Temporal's "unknown encoding").
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from squall.errors import InputError
from squall.temporal.keys import PayloadKey
from squall.temporal.names import ENCRYPTED_ENCODING, ENV_KEY, KEY_ID_METADATA

__all__ = ["EncryptionCodec", "PayloadKeyError"]

_NONCE = 12
_TAG = 16


class PayloadKeyError(InputError):
    """A payload cannot be decrypted with the keys configured here (exit code 2)."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with ``keys[0]``; decrypts with whichever of ``keys`` the payload names."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        super().__init__()
        self._keys = tuple(keys)
        self._by_id = {key.id: AESGCM(key.secret) for key in self._keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not self._keys:
            return list(payloads)
        key = self._keys[0]
        cipher = self._by_id[key.id]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE)
            # the key id is authenticated too: a payload cannot claim another key
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key.id.encode())
            encoded.append(
                Payload(
                    metadata={
                        "encoding": ENCRYPTED_ENCODING,
                        KEY_ID_METADATA: key.id.encode(),
                    },
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(payload) for payload in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCRYPTED_ENCODING:
            return payload  # written in clear (before encryption was turned on)
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("ascii", "replace")
        cipher = self._by_id.get(key_id)
        if cipher is None:
            known = ", ".join(sorted(self._by_id)) or "none"
            raise PayloadKeyError(
                f"a Temporal payload is encrypted with key {key_id}, which is not among the "
                f"keys configured here (key ids: {known}); set {ENV_KEY} or temporal.key_file "
                "to a list that includes it"
            )
        nonce, sealed = payload.data[:_NONCE], payload.data[_NONCE:]
        try:
            if len(sealed) < _TAG:
                raise InvalidTag  # truncated: too short to hold even the tag
            clear = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise PayloadKeyError(
                f"a Temporal payload encrypted with key {key_id} failed authentication: "
                "it was altered, or was encrypted with another key of the same id"
            ) from None
        decoded = Payload()
        decoded.ParseFromString(clear)
        return decoded
