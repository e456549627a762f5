"""Helpers for the action tests: the running target, TLS clients, file-tree snapshots.

(Named ``act_harness`` rather than ``conftest`` so that test modules can import it without
clashing with other ``conftest`` modules of the suite.)
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from squall.drivers.security import _pki as pki

HERE = Path(__file__).parent


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
        return self.directory / str(json.loads(self.config_file.read_text())[key])

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
