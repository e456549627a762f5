"""The Vault client reads ``.netrc`` by squall's rules (the Chaos Toolkit's hvac reads it
through requests): the Vault host's entry only; a redirect to another host gets
nothing, not even that host's own entry (requests would send it); a file others may
read is not used.

The real hvac client talks to a stand-in for Vault's KV v2 HTTP API on 127.0.0.1 and
127.0.0.2 (no Vault server can run here): it answers ``GET /v1/secret/data/<path>`` as
Vault does and records the ``Authorization`` each request carried.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import hvac  # noqa: F401  (a dev dependency: missing, this module fails, it is not skipped)
import pytest

import squall

CANARY = "vault-netrc-canary-4Hq"


class _Vault(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: Any = self.server
        server.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.endswith("/moved"):
            self.send_response(307)
            self.send_header("Location", f"{server.elsewhere}/v1/secret/data/app")
            self.end_headers()
            return
        body = json.dumps({"data": {"data": {"password": "from-vault"}}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(address: str) -> Any:
    server: Any = ThreadingHTTPServer((address, 0), _Vault)
    server.seen = []
    server.elsewhere = ""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def vaults() -> Iterator[tuple[Any, Any]]:
    first, second = _serve("127.0.0.1"), _serve("127.0.0.2")
    first.elsewhere = f"http://127.0.0.2:{second.server_address[1]}"
    yield first, second
    for server in (first, second):
        server.shutdown()
        server.server_close()


def _netrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int = 0o600) -> Path:
    path = tmp_path / "netrc"
    path.write_text(
        f"machine 127.0.0.1 login alice password {CANARY}\n"
        "machine 127.0.0.2 login bob password bobs-password\n"
    )
    path.chmod(mode)
    monkeypatch.setenv("NETRC", str(path))
    return path


def _read(vault: Any, path: str, tmp_path: Path) -> squall.Journal:
    address = f"http://127.0.0.1:{vault.server_address[1]}"
    doc = {
        "title": "vault",
        "description": "a secret from vault",
        "configuration": {"vault_addr": address, "vault_token": "t0ken"},
        "secrets": {"app": {"db": {"type": "vault", "path": path, "key": "password"}}},
        "method": [
            {
                "type": "probe",
                "name": "echo",
                "provider": {"type": "process", "path": "echo", "arguments": "${db}"},
            }
        ],
    }
    return squall.run_experiment(doc, run_options=squall.RunOptions(journal_path=tmp_path / "j"))


def test_the_vault_hosts_entry_is_sent_and_masked(
    vaults: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = vaults
    first.seen.clear()
    _netrc(tmp_path, monkeypatch)
    journal = _read(first, "app", tmp_path)
    assert journal.outcome == "held"
    token = base64.b64encode(f"alice:{CANARY}".encode()).decode()
    assert first.seen == [("/v1/secret/data/app", f"Basic {token}")]
    assert CANARY not in (tmp_path / "j").read_text()
    assert journal.run[0].output["stdout"] == "***\n"  # the secret read is masked


def test_a_redirect_to_another_host_gets_nothing(
    vaults: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = vaults
    first.seen.clear()
    second.seen.clear()
    _netrc(tmp_path, monkeypatch)
    assert _read(first, "moved", tmp_path).outcome == "held"
    assert first.seen[0][1] is not None
    assert second.seen == [("/v1/secret/data/app", None)]  # requests would send bob's


def test_a_file_others_may_read_is_not_used(
    vaults: tuple[Any, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, _ = vaults
    first.seen.clear()
    path = _netrc(tmp_path, monkeypatch, 0o644)
    assert _read(first, "app", tmp_path).outcome == "held"
    assert first.seen == [("/v1/secret/data/app", None)]
    assert f"{path}: other users may read or write it (mode 0644" in caplog.text
