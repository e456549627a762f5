"""The masking layer itself: what it recognises as a secret, and what it leaves alone."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus

from squall.masking import MASK, MIN_LENGTH, Masker, mask_document, mask_text, register_secrets


def test_text_masks_the_secret_and_its_encodings() -> None:
    secret = 's3cr/t "q"&x y\\é'
    masker = Masker([secret])
    for form in (
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    ):
        assert masker.text(f"before {form} after") == f"before {MASK} after", form


def test_text_without_a_secret_is_returned_as_is() -> None:
    masker = Masker(["topsecret"])
    text = "nothing to hide here"
    assert masker.text(text) is text
    assert not Masker() and Masker().text(text) is text


def test_longest_secret_wins_when_one_contains_another() -> None:
    masker = Masker(["abcd", "abcdefgh"])
    assert masker.text("xabcdefghx abcd") == f"x{MASK}x {MASK}"


def test_short_secrets_are_not_masked_inside_text_and_are_reported() -> None:
    short = "a" * (MIN_LENGTH - 1)
    masker = Masker([short, "longenough"])
    assert masker.too_short == {short}
    assert masker.text(f"{short} longenough") == f"{short} {MASK}"
    assert masker.text(short) == MASK and masker.value({"pin": short}) == {"pin": MASK}


def test_value_masks_every_string_and_keeps_json_valid() -> None:
    masker = Masker(["1234", "tok3n-value"])
    data = {
        "duration": 0.0123456,  # digits of the secret inside a number: left alone
        "status": 1234,
        "headers": {"Authorization": "Bearer tok3n-value"},
        "list": ["a", ("x", b"raw tok3n-value")],
        "tok3n-value": "as a key",
        "error": ValueError("bad tok3n-value"),
    }
    masked = masker.value(data)
    assert masked["duration"] == 0.0123456 and masked["status"] == 1234
    assert masked["headers"] == {"Authorization": f"Bearer {MASK}"}
    assert masked["list"] == ["a", ("x", f"raw {MASK}".encode())]
    assert masked[MASK] == "as a key"
    assert masked["error"] == f"bad {MASK}"
    assert "tok3n" not in json.dumps(masked, default=str)
    clean = {"a": [1, "b", {"c": None}]}
    assert masker.value(clean) is clean  # nothing copied when nothing is secret


def test_mask_document_masks_inline_secrets_and_keeps_references() -> None:
    document = {
        "title": "uses inline-canary-1 in its title",
        "secrets": {
            "api": {
                "token": "inline-canary-1",
                "env": {"type": "env", "key": "TOKEN"},
                "nested": {"inner": "inline-canary-2"},
            },
            "broken": "not a mapping",
        },
    }
    masked = mask_document(document)
    assert masked["secrets"] == {
        "api": {"token": MASK, "env": {"type": "env", "key": "TOKEN"}, "nested": {"inner": MASK}},
        "broken": MASK,
    }
    assert masked["title"] == f"uses {MASK} in its title"
    assert document["secrets"]["api"]["token"] == "inline-canary-1"  # not changed in place
    # registered for the whole process: any later text is masked too
    assert mask_text("later inline-canary-2") == f"later {MASK}"


def test_register_secrets_walks_scopes_and_returns_short_ones() -> None:
    short = register_secrets({"scope": {"pin": 12, "deep": {"k": ["list-canary-77", 9.5]}}})
    assert short == {"12", "9.5"}
    assert mask_text("x list-canary-77 y") == f"x {MASK} y"


def test_redact_url_hides_a_userinfo_password() -> None:
    from squall.masking import redact_url

    assert redact_url("https://bob:hunter2@db.example:5432/x?y=1") == (
        f"https://bob:{MASK}@db.example:5432/x?y=1"
    )
    assert redact_url("http://127.0.0.1/plain") == "http://127.0.0.1/plain"
    assert redact_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_a_numeric_secret_is_masked_as_a_whole_number_only() -> None:
    masker = Masker(["2345"])
    assert masker.text("pin 2345, duration 0.0012345") == f"pin {MASK}, duration 0.0012345"
    assert masker.text("x2345y") == f"x{MASK}y"


def test_a_secret_cut_at_the_end_of_a_text_is_found() -> None:
    masker = Masker(["abcdefgh"])
    assert masker.suffix("xxxxabcd") == 4
    assert masker.suffix("xxxx") == 0


def test_masked_stream_masks_every_write() -> None:
    import io

    from squall.masking import MaskedStream

    register_secrets(["stream-canary-1"])
    raw = io.StringIO()
    stream = MaskedStream(raw)
    assert stream.write("a stream-canary-1 b\n") == len("a stream-canary-1 b\n")
    stream.writelines(["stream-canary-1\n"])
    assert raw.getvalue() == f"a {MASK} b\n{MASK}\n"
    assert stream.getvalue() == raw.getvalue()  # everything else is the stream's own


def test_vault_credentials_in_the_configuration_are_secrets(tmp_path: Path) -> None:
    from squall import run_experiment
    from squall.engine import RunOptions

    path = tmp_path / "vault.json"
    echo = {"type": "process", "path": "echo", "arguments": "${vault_token}"}
    path.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "configuration": {"vault_token": "s.vault-canary-9", "vault_addr": "http://v"},
                "method": [{"type": "action", "name": "echo", "provider": echo}],
            }
        )
    )
    journal_path = tmp_path / "journal.json"
    journal = run_experiment(path, run_options=RunOptions(journal_path=journal_path))
    assert journal.run[0] is not None and journal.run[0].output["stdout"] == f"{MASK}\n"
    text = journal_path.read_text()
    assert "vault-canary" not in text and '"vault_addr": "http://v"' in text
