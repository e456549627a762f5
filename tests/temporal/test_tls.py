"""TLS and mTLS to Temporal, for real: a TLS-terminating proxy (tests/support/tlsproxy.py:
a process of its own, client certificates required, ALPN h2) in front of the dev server,
with a generated CA, server and client certificates. The dev server itself speaks only
plaintext."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from squall.drivers.security._pki import make_authority, make_leaf

from temporal import TemporalServer
from tlsproxy import TlsProxy


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    where = tmp_path_factory.mktemp("pki")
    authority, stranger = make_authority("temporal test CA"), make_authority("another CA")
    files = {
        "ca": authority.write(where / "ca.pem"),
        "other-ca": stranger.write(where / "other.pem"),
    }
    files["server"], files["server-key"] = make_leaf(authority, ["temporal.test"]).write(
        where / "server.pem", where / "server.key"
    )
    files["client"], files["client-key"] = make_leaf(authority, ["squall-worker"]).write(
        where / "client.pem", where / "client.key"
    )
    return files


@pytest.fixture(scope="module")
def proxy(temporal_server: TemporalServer, pki: dict[str, Path]) -> Iterator[TlsProxy]:
    server = TlsProxy(temporal_server.address, pki["server"], pki["server-key"], pki["ca"])
    yield server
    server.close()


def _list(squall: Any, proxy: TlsProxy, *options: str, **env: str) -> Any:
    return squall("schedule", "list", "--address", f"127.0.0.1:{proxy.port}", *options, env=env)


def test_mtls_with_the_right_certificates_connects(
    squall: Any, proxy: TlsProxy, pki: dict[str, Path]
) -> None:
    result = _list(
        squall, proxy,
        "--tls-ca", str(pki["ca"]), "--tls-cert", str(pki["client"]),
        "--tls-key", str(pki["client-key"]), "--tls-server-name", "temporal.test",
    )  # fmt: skip
    assert result.code == 0, result.stderr


def test_mtls_from_the_settings_file_with_paths_relative_to_it(
    squall: Any, proxy: TlsProxy, pki: dict[str, Path], tmp_path: Path
) -> None:
    settings = pki["ca"].parent / "settings.yaml"
    settings.write_text(
        "temporal:\n  tls_ca: ca.pem\n  tls_cert: client.pem\n  tls_key: client.key\n"
        "  tls_server_name: temporal.test\n"
    )
    result = squall(
        "--settings", str(settings), "schedule", "list", "--address", f"127.0.0.1:{proxy.port}"
    )
    assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    ("options", "why"),
    [
        (("--tls-ca", "ca", "--tls-server-name", "temporal.test"), "no client certificate"),
        (("--tls-ca", "other-ca", "--tls-cert", "client", "--tls-key", "client-key",
          "--tls-server-name", "temporal.test"), "a server certificate from another CA"),
        (("--tls-ca", "ca", "--tls-cert", "client", "--tls-key", "client-key"), "the wrong server name"),
        ((), "no TLS at all"),
    ],
)  # fmt: skip
def test_a_refused_handshake_is_exit_3_with_a_message(
    squall: Any, proxy: TlsProxy, pki: dict[str, Path], options: tuple[str, ...], why: str
) -> None:
    argv = [str(pki[o]) if o in pki else o for o in options]
    result = _list(squall, proxy, *argv)
    assert result.code == 3, f"{why}: {result.code} {result.stderr}"
    assert f"cannot reach the Temporal server at 127.0.0.1:{proxy.port}" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
