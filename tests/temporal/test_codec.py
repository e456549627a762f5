"""The payload codec: AES-256-GCM, key ids for rotation, clear failures."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from squall.errors import InputError
from squall.temporal.codec import EncryptionCodec, PayloadKeyError
from squall.temporal.keys import PayloadKey, parse_keys
from squall.temporal.names import ENCRYPTED_ENCODING
from squall.temporal.options import resolve_options

SECRET = "hunter2-canary-7c1e"


def _key() -> PayloadKey:
    return PayloadKey(os.urandom(32))


def _payloads() -> list[Payload]:
    return DataConverter.default.payload_converter.to_payloads([{"password": SECRET}, 42])


def test_round_trip_and_the_ciphertext_holds_no_clear_text() -> None:
    codec = EncryptionCodec([_key()])
    clear = _payloads()
    sealed = asyncio.run(codec.encode(clear))
    assert all(p.metadata["encoding"] == ENCRYPTED_ENCODING for p in sealed)
    wire = b"".join(p.SerializeToString() for p in sealed)
    assert SECRET.encode() not in wire and b"password" not in wire
    assert asyncio.run(codec.decode(sealed)) == clear


def test_rotation_the_old_key_still_decrypts_the_new_one_encrypts() -> None:
    old, new = _key(), _key()
    sealed_by_old = asyncio.run(EncryptionCodec([old]).encode(_payloads()))
    rotated = EncryptionCodec([new, old])
    assert asyncio.run(rotated.decode(sealed_by_old)) == _payloads()
    sealed_by_new = asyncio.run(rotated.encode(_payloads()))
    assert {p.metadata["squall-key-id"].decode() for p in sealed_by_new} == {new.id}
    with pytest.raises(PayloadKeyError, match=f"encrypted with key {new.id}"):
        asyncio.run(EncryptionCodec([old]).decode(sealed_by_new))


def test_a_wrong_key_or_no_key_fails_clearly_and_never_shows_a_key() -> None:
    key = _key()
    sealed = asyncio.run(EncryptionCodec([key]).encode(_payloads()))
    with pytest.raises(PayloadKeyError, match="key ids: none") as no_key:
        asyncio.run(EncryptionCodec([]).decode(sealed))
    # same id, other secret (forged metadata): authentication fails
    impostor = PayloadKey(os.urandom(32))
    impostor.id = key.id
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        asyncio.run(EncryptionCodec([impostor]).decode(sealed))
    assert base64.b64encode(key.secret).decode() not in str(no_key.value)
    assert key.secret.hex() not in repr(key)


def test_keys_come_from_the_environment_or_a_key_file(tmp_path) -> None:
    one, two = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    keyfile = tmp_path / "keys"
    keyfile.write_text(f"# current first\n{two}\n\n{one}\n")
    settings = {"temporal": {"key_file": str(keyfile)}}
    from_file = resolve_options(settings=settings, environ={})
    assert [k.secret for k in from_file.keys] == [base64.b64decode(two), base64.b64decode(one)]
    from_env = resolve_options(settings=settings, environ={"SQUALL_TEMPORAL_KEY": f"{one},{two}"})
    assert from_env.keys[0].secret == base64.b64decode(one)
    with pytest.raises(
        InputError, match=r"\$SQUALL_TEMPORAL_KEY: key 2 is not base64 of 32"
    ) as bad:
        parse_keys([one, "c2hvcnQ="], "$SQUALL_TEMPORAL_KEY")
    assert one not in str(bad.value)
