"""The demo's misconfigured mode: the mistakes experiments should catch are really there."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator

import pytest
from demo_support import alerts, api_client, login, start_demo

from squall.demo import MISCONFIGURATION, DemoInfo, status


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoInfo]:
    yield from start_demo(misconfigured=True)


def test_config_carries_the_mistakes(demo: DemoInfo) -> None:
    assert status(demo.state_dir).misconfigured is True
    config = json.loads(demo.path("config_file").read_text())
    for key, value in MISCONFIGURATION.items():
        assert config[key] == value, key
    assert os.stat(demo.path("key_file")).st_mode & 0o044


def test_api_fails_open_when_auth_is_stopped(demo: DemoInfo) -> None:
    token = login(demo)
    auth_pid = demo.pids["auth"]
    os.kill(auth_pid, signal.SIGSTOP)
    try:
        with api_client(demo) as client:
            response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
    finally:
        os.kill(auth_pid, signal.SIGCONT)
    assert response.status_code == 200


def test_no_security_headers_and_a_version_leak(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        response = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "strict-transport-security" not in response.headers
    assert "content-security-policy" not in response.headers
    assert "Python/" in response.headers["server"]
    assert response.headers["access-control-allow-origin"] == "https://evil.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_no_rate_limit(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        codes = {client.get("/api/items").status_code for _ in range(70)}
    assert codes == {401}


def test_revoked_token_still_accepted(demo: DemoInfo) -> None:
    token = login(demo)
    with demo.path("revoked_tokens_file").open("a") as fh:
        fh.write(token + "\n")
    with api_client(demo) as client:
        response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_detector_does_not_watch_ports(demo: DemoInfo) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        time.sleep(1.5)
    assert alerts(demo, "unexpected_port") == []
