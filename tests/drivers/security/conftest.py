"""Real loopback fixtures for the security driver tests: HTTPS/HTTP servers, certificates.

Everything binds ``127.0.0.1`` port 0 and is shut down (threads joined) at the end of the test.

* ``certs`` (session): PEM files for a CA and leaves: ``valid``, ``expired``, ``soon`` (expires
  in 2 days), ``wrong_san``, ``self_signed``, ``weak_rsa`` (RSA-1024), ``rsa`` (RSA-2048).
* ``listeners``: open extra listening sockets; ``agent``: a stub agent process with a heartbeat.
* ``serve``: a factory ``serve(tls=..., app=..., min_version=..., max_version=..., ciphers=...)``
  that starts an :class:`AppServer`, an ``http.server`` app whose behaviour ``server.app``
  toggles (headers, cookies, files, bearer auth with HMAC tokens, a rate limit, CORS). ``tls``
  is a ``certs`` name or a ``(cert_path, key_path)`` pair; ``None`` serves plain HTTP.
* ``app_type`` (the :class:`App` class), ``token`` (make an HMAC bearer token with ``exp``),
  ``closed_port`` (a loopback port nobody listens on).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from squall.drivers.security._pki import Authority, make_authority, make_leaf

TOKEN_KEY = b"squall-test-signing-key"


def make_token(expires_in: float, key: bytes = TOKEN_KEY, subject: str = "alice") -> str:
    """An HMAC-signed bearer token carrying ``exp`` (like a tiny JWT)."""
    claims = json.dumps({"sub": subject, "exp": time.time() + expires_in}).encode()
    body = base64.urlsafe_b64encode(claims).decode().rstrip("=")
    signature = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{signature}"


def token_valid(token: str, key: bytes = TOKEN_KEY) -> bool:
    body, _, signature = token.partition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        return False
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return float(claims["exp"]) > time.time()


# -- certificates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Certs:
    authority: Authority
    ca_file: Path
    leaves: dict[str, CertFiles]

    def __getitem__(self, name: str) -> CertFiles:
        return self.leaves[name]


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    base = tmp_path_factory.mktemp("pki")
    authority = make_authority()
    names = ["localhost", "127.0.0.1"]
    leaves = {
        "valid": make_leaf(authority, names),
        "expired": make_leaf(authority, names, days_valid=-3, days_before=30),
        "soon": make_leaf(authority, names, days_valid=2),
        "wrong_san": make_leaf(authority, ["other.example"]),
        "self_signed": make_leaf(None, names),
        "weak_rsa": make_leaf(authority, names, key_type="rsa", key_size=1024),
        "rsa": make_leaf(authority, names, key_type="rsa", key_size=2048),
    }
    files = {}
    for name, leaf in leaves.items():
        cert, key = leaf.write(base / f"{name}.crt", base / f"{name}.key")
        files[name] = CertFiles(cert, key)
    return Certs(authority, authority.write(base / "ca.crt"), files)


def server_context(
    files: CertFiles,
    min_version: str | None = None,
    max_version: str | None = None,
    ciphers: str = "DEFAULT:@SECLEVEL=0",
) -> ssl.SSLContext:
    """A server context; versions are ``ssl.TLSVersion`` member names (``TLSv1``...)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers(ciphers)  # before loading: level 0 lets RSA-1024 load
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if min_version:
            context.minimum_version = ssl.TLSVersion[min_version]
        if max_version:
            context.maximum_version = ssl.TLSVersion[max_version]
    context.load_cert_chain(files.cert, files.key)
    return context


# -- the application ---------------------------------------------------------------------------


@dataclass
class App:
    """What the test server does; tests flip these fields (also while it runs)."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    files: dict[str, tuple[int, str]] = field(default_factory=dict)
    protected: tuple[str, ...] = ("/private",)
    auth_enabled: bool = True
    www_authenticate: bool = True
    rate_limit: int | None = None
    cors: str = "none"  # none | strict | reflect | wildcard
    trusted_origin: str = "https://app.example"
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            self.hits += 1
            return self.hits


class Handler(BaseHTTPRequestHandler):
    server: AppServer
    server_version = "testserver"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self._cors()
        if self.server.app.cors != "none":
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _respond(self, with_body: bool) -> None:
        app = self.server.app
        path = self.path.split("?", 1)[0]
        status, body = 200, "hello"
        if app.rate_limit is not None and path == "/limited" and app.count() > app.rate_limit:
            status, body = 429, "slow down"
        elif path in app.protected and app.auth_enabled and not self._authorised():
            status, body = 401, "unauthorised"
        elif path in app.files:
            status, body = app.files[path]
        elif path not in ("/", "/limited", *app.protected):
            status, body = 404, "not found"
        data = body.encode()
        self.send_response(status)
        for name, value in app.headers.items():
            self.send_header(name, value)
        for cookie in app.cookies:
            self.send_header("Set-Cookie", cookie)
        if status == 401 and app.www_authenticate:
            self.send_header("WWW-Authenticate", 'Bearer realm="squall"')
        if status == 429:
            self.send_header("Retry-After", "1")
        self._cors()
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def _authorised(self) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and token_valid(token)

    def _cors(self) -> None:
        app, origin = self.server.app, self.headers.get("Origin")
        if origin is None or app.cors == "none":
            return
        if app.cors == "wildcard":
            self.send_header("Access-Control-Allow-Origin", "*")
        elif app.cors == "reflect" or origin == app.trusted_origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")


class AppServer(ThreadingHTTPServer):
    """``http.server`` on loopback, TLS handshakes done in the request thread."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, app: App, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.app = app
        self.context = context
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.context else 'http'}://127.0.0.1:{self.port}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(5)
        if self.context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-handshake are part of the tests

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(5)


@pytest.fixture
def serve(certs: Certs) -> Iterator[Callable[..., AppServer]]:
    """Start app servers: ``serve()`` is plain HTTP, ``serve(tls="valid", ...)`` is HTTPS."""
    started: list[AppServer] = []

    def start(
        tls: str | tuple[Path, Path] | None = None,
        app: App | None = None,
        min_version: str | None = None,
        max_version: str | None = None,
        ciphers: str = "DEFAULT:@SECLEVEL=0",
    ) -> AppServer:
        context = None
        if tls is not None:
            files = CertFiles(*tls) if isinstance(tls, tuple) else certs[tls]
            context = server_context(files, min_version, max_version, ciphers)
        server = AppServer(app or App(), context)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def app_type() -> type[App]:
    """The :class:`App` class, to build app behaviours (``app_type(cors="reflect")``)."""
    return App


@pytest.fixture
def token() -> Callable[..., str]:
    """:func:`make_token`: ``token(60)`` is valid for a minute, ``token(-60)`` has expired."""
    return make_token


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- listening sockets and a stub agent -------------------------------------------------------


@pytest.fixture
def listeners() -> Iterator[Callable[..., int]]:
    """``listeners(address="127.0.0.1", family=AF_INET)`` opens a listening TCP socket on
    port 0 and returns the port. All are closed at the end of the test."""
    opened: list[socket.socket] = []

    def open_(address: str = "127.0.0.1", family: int = socket.AF_INET) -> int:
        sock = socket.socket(family, socket.SOCK_STREAM)
        opened.append(sock)
        sock.bind((address, 0))
        sock.listen()
        return int(sock.getsockname()[1])

    yield open_
    for sock in opened:
        sock.close()


AGENT = """\
import pathlib, sys, time
beat = pathlib.Path(sys.argv[1])
while True:
    beat.write_text(str(time.time()))
    time.sleep(0.05)
"""


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, str]]:
    """A stub security agent: a real process touching a heartbeat file every 50 ms.

    Yields ``(process, heartbeat_path, script_name)``; the script name is unique, so
    ``agent_alive(name=...)`` finds this agent only. Killed (after SIGCONT) at the end.
    """
    script = tmp_path / f"squall_stub_agent_{uuid.uuid4().hex[:8]}.py"
    script.write_text(AGENT)
    beat = tmp_path / "heartbeat"
    process = subprocess.Popen([sys.executable, str(script), str(beat)])
    deadline = time.monotonic() + 5
    while not beat.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield process, beat, script.name
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.wait(5)


@pytest.fixture(autouse=True)
def _no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    """Probe tests must not leave threads behind (servers, receivers, writers)."""
    before = set(threading.enumerate())
    yield
    if not request.node.name.startswith("test_") or "test_probe_" not in request.node.nodeid:
        return
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left:
            return
        time.sleep(0.02)
    pytest.fail(f"threads leaked: {left}")
