"""Helpers for the demo tests: a real demo per module, config edits with reload, polling."""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from squall.demo import DemoInfo, reload

import sqlifeline
from sqdemo import running_demo


@contextlib.contextmanager
def private_dir() -> Iterator[Path]:
    """A temporary directory of our own.

    Not pytest's ``tmp_path``: concurrent pytest sessions of the same user prune each other's
    old base directories, and a demo whose state directory vanished could not be found again.
    """
    path = Path(tempfile.mkdtemp(prefix="squall-demo-test-"))
    sqlifeline.remove_at_end(path)  # if pytest is killed
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def start_demo(*, misconfigured: bool = False) -> Iterator[DemoInfo]:
    """Bring a demo up on free ports; always bring it down and check no process is left."""
    yield from running_demo(misconfigured=misconfigured)


def api_client(info: DemoInfo, **kwargs: Any) -> httpx.Client:
    """An httpx client for the API that trusts the demo CA."""
    ctx = ssl.create_default_context(cafile=str(info.path("ca_file")))
    return httpx.Client(base_url=info.api_url, verify=ctx, trust_env=False, timeout=5, **kwargs)


def login(info: DemoInfo) -> str:
    with api_client(info) as client:
        response = client.post(
            "/login", json={"user": info.data["user"], "password": info.data["password"]}
        )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@contextlib.contextmanager
def configured(info: DemoInfo, **changes: Any) -> Iterator[dict[str, Any]]:
    """Edit ``config.json``, reload (SIGHUP, waited for), and restore both afterwards."""
    path = info.path("config_file")
    original = path.read_text(encoding="utf-8")
    config = json.loads(original)
    config.update(changes)
    path.write_text(json.dumps(config), encoding="utf-8")
    reload(info.state_dir)
    try:
        yield config
    finally:
        path.write_text(original, encoding="utf-8")
        reload(info.state_dir)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def alerts(info: DemoInfo, kind: str, sink: str = "alerts_file") -> list[dict[str, Any]]:
    """Alerts of ``kind`` in the detector's sink (or ``webhook_file``)."""
    return [a for a in read_jsonl(info.path(sink)) if a.get("kind") == kind]
