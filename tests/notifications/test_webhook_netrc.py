"""A notification webhook reads ``.netrc`` as the http provider does (the Chaos
Toolkit's requests reads it for every request): the webhook host's entry, only when the
channel gives no credentials of its own, never from a file others may read, never shown.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from sqharness import EXAMPLES, LocalServer

CANARY = "netrc-canary-7Qz"


def _netrc(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "netrc"
    path.write_text(f"machine 127.0.0.1 login alice password {CANARY}\n")
    path.chmod(mode)
    return path


def _settings(tmp_path: Path, url: str, **channel: Any) -> None:
    channels = [{"type": "http", "url": url, "events": ["run-started"], **channel}]
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"notifications": channels}))


def _authorization(server: LocalServer, path: str) -> list[str | None]:
    got = [headers for _, where, headers, _ in server.requests if where == path]
    return [{k.lower(): v for k, v in h.items()}.get("authorization") for h in got]


@pytest.fixture
def webhook(http_server: LocalServer) -> LocalServer:
    http_server.requests.clear()
    return http_server


def test_the_webhook_hosts_entry_is_sent_and_never_shown(
    squall: Any, tmp_path: Path, webhook: LocalServer
) -> None:
    _settings(tmp_path, f"{webhook.url}/hook")
    log = tmp_path / "squall.log"
    env = {"NETRC": str(_netrc(tmp_path))}
    result = squall("--log-file", str(log), "-v", "run", str(EXAMPLES / "trivial.json"), env=env)
    assert result.code == 0, result.stderr
    token = base64.b64encode(f"alice:{CANARY}".encode()).decode()
    assert _authorization(webhook, "/hook") == [f"Basic {token}"]
    journal = (tmp_path / "journal.json").read_text()
    for text in (result.stdout, result.stderr, log.read_text(), journal):
        assert CANARY not in text and token not in text


def test_the_channels_own_credentials_win(
    squall: Any, tmp_path: Path, webhook: LocalServer
) -> None:
    _settings(tmp_path, f"{webhook.url}/own", headers={"Authorization": "Bearer mine"})
    env = {"NETRC": str(_netrc(tmp_path))}
    assert squall("run", str(EXAMPLES / "trivial.json"), env=env).code == 0
    assert _authorization(webhook, "/own") == ["Bearer mine"]


def test_a_file_others_may_read_is_not_used_and_says_why(
    squall: Any, tmp_path: Path, webhook: LocalServer
) -> None:
    _settings(tmp_path, f"{webhook.url}/open")
    path = _netrc(tmp_path, 0o644)
    result = squall("run", str(EXAMPLES / "trivial.json"), env={"NETRC": str(path)})
    assert result.code == 0, result.stderr
    assert _authorization(webhook, "/open") == [None]
    assert f"{path}: other users may read or write it (mode 0644; chmod 600 it)" in result.stderr
    assert CANARY not in result.stderr
