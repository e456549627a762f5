"""Connection options: flags > environment > settings file > defaults, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from squall.errors import InputError, SquallError
from squall.temporal.options import resolve_options


def test_precedence_flag_then_environment_then_settings_then_default(tmp_path: Path) -> None:
    settings = {"temporal": {"address": "from-settings:7233", "namespace": "chaos"}}
    env = {"SQUALL_TEMPORAL_ADDRESS": "from-env:7233"}
    assert resolve_options(settings={}, environ={}).address == "localhost:7233"
    assert resolve_options(settings=settings, environ={}).address == "from-settings:7233"
    options = resolve_options(settings=settings, environ=env)
    assert (options.address, options.namespace, options.task_queue) == (
        "from-env:7233",
        "chaos",
        "squall",
    )
    assert options.where("address") == "$SQUALL_TEMPORAL_ADDRESS"
    flagged = resolve_options({"address": "flag:1"}, settings=settings, environ=env)
    assert flagged.address == "flag:1" and flagged.where("address") == "--address"


def test_tls_is_implied_by_its_files_and_an_api_key_which_repr_hides(tmp_path: Path) -> None:
    cert, key, ca = (tmp_path / n for n in ("c.pem", "k.pem", "ca.pem"))
    for path in (cert, key, ca):
        path.write_text("x")
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text("temporal:\n  tls_ca: ca.pem\n  api_key: sk-canary-123\n")
    options = resolve_options(
        {"tls_cert": str(cert), "tls_key": str(key)}, settings_path=str(settings_file), environ={}
    )
    assert options.tls and options.tls_ca == str(ca)  # relative to the settings file
    assert options.api_key == "sk-canary-123" and "sk-canary-123" not in repr(options)
    assert not resolve_options(settings={}, environ={"SQUALL_TEMPORAL_TLS": "no"}).tls


@pytest.mark.parametrize(
    ("flags", "settings", "env", "message"),
    [
        (
            {"address": "http://x:7233"},
            {},
            {},
            r'--address: "http://x:7233" is not a Temporal address',
        ),
        (
            {},
            {},
            {"SQUALL_TEMPORAL_ADDRESS": "host:99999"},
            r'\$SQUALL_TEMPORAL_ADDRESS: "host:99999"',
        ),
        ({}, {"temporal": {"adress": "x:1"}}, {}, r"unknown key temporal.adress \(known: address"),
        ({}, {"temporal": ["x"]}, {}, "`temporal` must be a mapping"),
        (
            {},
            {"temporal": {"namespace": ""}},
            {},
            "temporal.namespace: expected a non-empty text, found an empty string$",
        ),
        (  # the kind of value, never the value: it may be a credential
            {},
            {"temporal": {"api_key": 918273645}},
            {},
            "temporal.api_key: expected a non-empty text, found a number$",
        ),
        (
            {"tls_cert": "/nonexistent/c.pem"},
            {},
            {},
            "--tls-cert: no such file: /nonexistent/c.pem",
        ),
        (
            {},
            {},
            {"SQUALL_TEMPORAL_TLS": "maybe"},
            r"\$SQUALL_TEMPORAL_TLS: \"maybe\" is not a boolean",
        ),
    ],
)
def test_bad_values_are_input_errors_that_say_where(
    flags: dict[str, str], settings: dict[str, object], env: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        resolve_options(flags, settings=settings, environ=env)


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(InputError, match=r"--tls-cert: mTLS needs both .*\(--tls-key\)"):
        resolve_options({"tls_cert": str(cert)}, settings={}, environ={})


@pytest.mark.parametrize(
    ("status", "kind", "code", "text"),
    [
        ("UNAUTHENTICATED", InputError, 2, "refused the credentials (UNAUTHENTICATED: no)"),
        ("PERMISSION_DENIED", InputError, 2, "check the API key"),
        ("UNAVAILABLE", SquallError, 3, "answered UNAVAILABLE: no"),
    ],
)
def test_unexpected_rpc_errors_become_one_line_squall_errors(
    status: str, kind: type[Exception], code: int, text: str
) -> None:
    from temporalio.service import RPCError, RPCStatusCode

    from squall.temporal.connect import explain_rpc_error

    error = explain_rpc_error(
        RPCError("no", RPCStatusCode[status], b""), resolve_options(settings={}, environ={})
    )
    assert isinstance(error, kind) and error.exit_code == code
    assert text in str(error) and "localhost:7233" in str(error)


def test_the_cli_masks_the_api_key_once_resolved(tmp_path: Path) -> None:
    import uuid

    import click

    from squall.cli.temporal_options import resolve_connection
    from squall.masking import mask_text

    canary = f"sk-{uuid.uuid4().hex}"
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"temporal:\n  api_key: {canary}\n")
    assert canary in mask_text(f"key={canary}")  # not a secret before
    with click.Context(click.Command("x"), obj={"settings_path": str(settings)}):
        options = resolve_connection({})
    assert options.api_key == canary and options.tls
    assert mask_text(f"key={canary}") == "key=***"
