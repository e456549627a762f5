"""The payload codec: every payload squall sends to Temporal is encrypted (AES-256-GCM).

Temporal persists workflow inputs, activity results and signals in its history; with a
key configured, the server (and anyone who reads its database or UI) sees only
ciphertext. Each encrypted payload carries the id of the key that encrypted it, so keys
rotate: the first key encrypts, any key listed decrypts. Without a key, payloads pass
through unchanged, and an encrypted one fails with a message that says which key is
missing (rather than Temporal's "unknown encoding").
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import (
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
    PayloadConverter,
)

from squall.errors import InputError
from squall.temporal.keys import PayloadKey
from squall.temporal.names import ENCRYPTED_ENCODING, ENV_KEY, KEY_ID_METADATA

__all__ = ["KEY_ERROR", "EncryptionCodec", "PayloadKeyError", "TaggedFailures", "cannot_read"]

_NONCE = 12
_TAG = 16
#: metadata of the payload that holds a failure's message and stack trace (kept, in
#: clear, on its encrypted form): a process without its key reads the failure anyway,
#: with a message saying why its text cannot be shown, instead of failing (a workflow
#: task failing on it was retried for ever: the run hung)
FAILURE_METADATA = "squall-failure"
#: the failure type of a payload a worker cannot decrypt (what Temporal records of it)
KEY_ERROR = "PayloadKeyError"


def cannot_read(worker: str, why: str) -> str:
    """The located message of a worker that cannot read a run (``why``: the worker's
    own message, or why it cannot be shown here)."""
    return (
        f"the worker {worker} cannot read the run: {why}; give the worker this command's "
        "payload keys and restart it (docs/scale-out.md, Encrypting what Temporal stores)"
    )


class TaggedFailures(DefaultFailureConverterWithEncodedAttributes):
    """Failures' messages and stack traces encrypted (Temporal's encoded attributes),
    their payload tagged (:data:`FAILURE_METADATA`) so that the codec of a process
    without the key gives a readable stand-in rather than failing."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        super().to_failure(exception, payload_converter, failure)
        if failure.HasField("encoded_attributes"):
            failure.encoded_attributes.metadata[FAILURE_METADATA] = b"1"


class PayloadKeyError(InputError):
    """A payload cannot be decrypted with the keys configured here (exit code 2)."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with ``keys[0]``; decrypts with whichever of ``keys`` the payload names."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        super().__init__()
        self._keys = tuple(keys)
        self._by_id = {key.id: AESGCM(key.secret) for key in self._keys}

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of the keys, the one that encrypts first (never the keys)."""
        return tuple(key.id for key in self._keys)

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
            metadata = {"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: key.id.encode()}
            if FAILURE_METADATA in payload.metadata:
                metadata[FAILURE_METADATA] = b"1"
            encoded.append(Payload(metadata=metadata, data=nonce + sealed))
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
            if FAILURE_METADATA in payload.metadata:  # a failure: read, its text not
                return _stand_in(
                    f"its message is encrypted with payload key {key_id}, which is not "
                    f"among the keys here (key ids: {known}): it has other keys than "
                    "this process"
                )
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


def _stand_in(message: str) -> Payload:
    """A failure's message and stack trace as Temporal's converter reads them (JSON)."""
    text: dict[str, Any] = {"message": message, "stack_trace": ""}
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())
