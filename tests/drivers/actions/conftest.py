"""Fixtures for the action tests: a private state store and run id per test, a reloadable
HTTPS target (``target_app.py``) with real TLS material, and TLS/HTTP client helpers.

Every test ends with the state store empty (each action rolled back) and no process left
whose command line carries the test's run id.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from squall.drivers.security import pki

HERE = Path(__file__).parent


def _pids_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def squall_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private state directory and run id; checks for leftovers after the test."""
    state = tmp_path / "state"
    run = f"test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("SQUALL_STATE_DIR", str(state))
    monkeypatch.setenv("SQUALL_RUN_ID", run)
    yield {"state_dir": str(state), "run_id": run}
    leaked = _pids_with(run)
    for pid in leaked:
        os.kill(pid, signal.SIGKILL)
    records = sorted(p.name for p in state.glob("*.json")) if state.exists() else []
    assert not leaked, f"processes left running: {leaked}"
    assert not records, f"state records left behind: {records}"


@dataclass
class Target:
    """A running ``target_app.py``: its files, pid and port."""

    directory: Path
    config_file: Path
    pidfile: Path
    ca_cert: Path
    ca_key: Path
    process: subprocess.Popen[bytes]
    port: int = 0
    originals: dict[str, bytes] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def path(self, key: str) -> Path:
        return self.directory / json.loads(self.config_file.read_text())[key]

    def request(self, path: str, token: str | None = None, method: str = "GET") -> tuple[int, Any]:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=unverified_context(), timeout=5
        )
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def state(self) -> dict[str, Any]:
        return self.request("/state")[1]  # type: ignore[no-any-return]

    def wait_generation(self, generation: int, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if state["generation"] >= generation or time.monotonic() > deadline:
                return state
            time.sleep(0.02)

    def good_token(self) -> str:
        import hashlib
        import hmac

        key = self.path("signing_key_file").read_bytes().strip()
        return hmac.new(key, b"alice", hashlib.sha256).hexdigest()


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def peer_certificate(host: str, port: int, server_name: str = "localhost") -> x509.Certificate:
    """The certificate a server presents (fetched without verification)."""
    with (
        socket.create_connection((host, port), timeout=5) as sock,
        unverified_context().wrap_socket(sock, server_hostname=server_name) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def write_target_files(directory: Path) -> dict[str, Path]:
    """CA, server cert/key (key 0600), signing key, deny-list, log file and config.json."""
    authority = pki.make_authority("squall test CA")
    ca_cert = authority.write(directory / "ca.crt")
    ca_key = directory / "ca.key"
    ca_key.write_bytes(pki.Leaf(authority.key, authority.cert).key_pem())
    tls = directory / "tls"
    tls.mkdir()
    pki.make_leaf(authority, ["localhost", "127.0.0.1"]).write(tls / "api.crt", tls / "api.key")
    (directory / "signing.key").write_text("ab" * 32 + "\n")
    (directory / "revoked.txt").write_text("# revoked tokens, one a line\n")
    (directory / "logs").mkdir()
    (directory / "logs" / "audit.log").write_text("start\n")
    config = {
        "cert_file": "tls/api.crt",
        "key_file": "tls/api.key",
        "min_tls_version": "TLSv1.2",
        "auth_enabled": True,
        "clock_offset_seconds": 0,
        "revoked_tokens_file": "revoked.txt",
        "signing_key_file": "signing.key",
        "log_file": "logs/audit.log",
        "login_limit": 5,
    }
    (directory / "config.json").write_text(json.dumps(config, indent=4) + "\n")
    return {"ca_cert": ca_cert, "ca_key": ca_key, "config": directory / "config.json"}


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    """A reloadable HTTPS target on 127.0.0.1, stopped (and reaped) after the test."""
    directory = tmp_path / "target"
    directory.mkdir()
    files = write_target_files(directory)
    ready = directory / "ready.json"
    process = subprocess.Popen(
        [sys.executable, str(HERE / "target_app.py"), str(files["config"]), str(ready)],
        stdin=subprocess.DEVNULL,
    )
    target = Target(
        directory, files["config"], directory / "app.pid", files["ca_cert"], files["ca_key"], process
    )
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert process.poll() is None, "target_app exited"
            assert time.monotonic() < deadline, "target_app did not start"
            time.sleep(0.02)
        target.port = json.loads(ready.read_text())["port"]
        target.pidfile.write_text(f"{process.pid}\n")
        target.originals = {
            str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        yield target
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(5)


def snapshot_tree(directory: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mode of every file (and mode of every directory) under ``directory``."""
    result: dict[str, tuple[bytes, int]] = {}
    for path in sorted(directory.rglob("*")):
        mode = path.stat().st_mode & 0o7777
        result[str(path.relative_to(directory))] = (
            path.read_bytes() if path.is_file() else b"<dir>",
            mode,
        )
    return result


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A harmless child process whose command line carries a marker."""
    marker = f"squall-test-sleeper-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; time.sleep(60)", marker],
        stdin=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        process.wait(5)
