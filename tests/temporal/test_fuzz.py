"""Adversarial input to the parts that read what users and servers give: any text for
--every/--cron, any settings section, any bytes as an encrypted payload. Each is either
accepted or refused with squall's own error (exit 2), never another exception."""

from __future__ import annotations

import asyncio
import contextlib
import os

from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload

from squall.errors import InputError
from squall.temporal.codec import EncryptionCodec, PayloadKeyError
from squall.temporal.keys import PayloadKey
from squall.temporal.names import ENCRYPTED_ENCODING, KEY_ID_METADATA
from squall.temporal.options import SETTINGS_KEYS, resolve_options
from squall.temporal.spec import check_cron, parse_every

_KEY = PayloadKey(os.urandom(32))
_CRON_ALPHABET = st.sampled_from(list("0123456789*/-, ?@JANMONSUFRIWEDTHy\t"))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=30), st.text(alphabet=_CRON_ALPHABET, max_size=30)))
def test_every_and_cron_accept_or_refuse_with_input_error(text: str) -> None:
    for check in (parse_every, check_cron):
        with contextlib.suppress(InputError):
            check(text)


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        _VALUES,
        st.dictionaries(st.sampled_from([*SETTINGS_KEYS, "other"]), _VALUES, max_size=6),
    ),
    st.dictionaries(
        st.sampled_from(["SQUALL_TEMPORAL_ADDRESS", "SQUALL_TEMPORAL_TLS", "SQUALL_TEMPORAL_KEY"]),
        st.text(max_size=40),
        max_size=3,
    ),
)
def test_any_settings_section_and_environment_resolve_or_refuse(
    section: object, env: dict[str, str]
) -> None:
    with contextlib.suppress(InputError):
        resolve_options(settings={"temporal": section}, environ=env)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64), st.sampled_from([_KEY.id.encode(), b"", b"\xff\xfe", b"x" * 16]))
def test_any_encrypted_payload_decodes_or_fails_with_payload_key_error(
    data: bytes, key_id: bytes
) -> None:
    payload = Payload(metadata={"encoding": ENCRYPTED_ENCODING, KEY_ID_METADATA: key_id}, data=data)
    with contextlib.suppress(PayloadKeyError):
        asyncio.run(EncryptionCodec([_KEY]).decode([payload]))
