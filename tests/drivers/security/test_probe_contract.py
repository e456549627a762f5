"""Every probe keeps the driver contract that discovery and the generated docs rely on."""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest

MODULES = ("tls", "tls_policy", "http", "auth", "ports", "secrets", "permissions")
MODULES += ("dependencies", "detection")
PROBES = [
    (name, func)
    for module in MODULES
    for name in importlib.import_module(f"squall.drivers.security.{module}").__all__
    for func in [getattr(importlib.import_module(f"squall.drivers.security.{module}"), name)]
]


def test_all_the_probes_are_there():
    assert sorted(name for name, _ in PROBES) == sorted(
        [
            "tls_certificate",
            "tls_protocols",
            "tls_ciphers",
            "http_security_headers",
            "auth_enforced",
            "rate_limit_enforced",
            "cors_policy",
            "listening_ports",
            "exposed_secrets",
            "file_permissions",
            "vulnerable_dependencies",
            "agent_alive",
            "alert_observed",
            "audit_log_present",
        ]
    )


@pytest.mark.parametrize(("name", "func"), PROBES, ids=[name for name, _ in PROBES])
def test_probe_signature_and_docstring(name, func):
    signature = inspect.signature(func)
    parameters = list(signature.parameters.values())
    assert [p.name for p in parameters[-2:]] == ["configuration", "secrets"]
    assert all(p.default is None for p in parameters[-2:])
    for parameter in parameters:
        # discovery skips keyword-only parameters: every argument must be positional-or-keyword
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, parameter
    hints = typing.get_type_hints(func)
    assert set(hints) == {p.name for p in parameters} | {"return"}
    assert hints["return"] == dict[str, typing.Any]
    doc = inspect.getdoc(func) or ""
    summary, _, body = doc.partition("\n\n")
    assert "\n" not in summary and summary.endswith(".")
    arguments, _, returns = body.partition("Returns:")
    for parameter in parameters:
        assert f"\n    {parameter.name}: " in arguments, f"{name}: {parameter.name} undocumented"
    assert "``ok``" in returns and "``problems``" in returns
