"""The http provider's two paths (the small client for http://, httpx for https://) against a
real HTTP/1.1 server on loopback: the same requests on the wire, the same outputs, one
connection for a whole run, redirects, cookies, framing, timeouts."""

from __future__ import annotations

import gzip
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall import run_experiment
from squall.drivers.security._pki import make_authority, make_leaf
from squall.experiment import parse_experiment


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(key, value)
        if "Transfer-Encoding" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        seen = {k.lower(): v for k, v in self.headers.items() if k.lower() != "host"}
        self.server.seen.append({"method": self.command, "path": self.path, "body": body, **seen})
        path, _, query = self.path.partition("?")
        if path == "/redirect":
            target, code = dict(p.split("=", 1) for p in query.split("&")).values()
            headers = {"Location": target.replace("%3F", "?").replace("%3D", "=")}
            headers["Set-Cookie"] = "session=abc; Path=/"
            self._answer(int(code), b"", headers)
        elif path == "/gzip-chunked":
            data = gzip.compress(json.dumps({"zipped": True, "text": "é"}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Twice", "a")
            self.send_header("x-twice", "b")
            self.end_headers()
            for start in range(0, len(data), 7):
                chunk = data[start : start + 7]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/latin1":
            self._answer(
                200, "café".encode("latin-1"), {"Content-Type": "text/plain; charset=latin-1"}
            )
        elif path == "/hang":
            self.server.release.wait(10)
            self._answer(200, b"late")
        else:
            self._answer(200, json.dumps({"path": self.path, "body": body}).encode())

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.seen: list[dict[str, str]] = []
        self.release = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout test) is expected."""


def _start(tls_dir: Path | None) -> tuple[_Server, str]:
    server = _Server()
    scheme = "http"
    if tls_dir is not None:
        leaf = make_leaf(make_authority(), ["127.0.0.1"])
        cert, key = leaf.write(tls_dir / "c.pem", tls_dir / "k.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"{scheme}://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[_Server, str]]]:
    plain = _start(None)
    secure = _start(tmp_path_factory.mktemp("tls"))
    yield {"http": plain, "https": secure}
    for server, _ in (plain, secure):
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def fresh(servers: dict[str, tuple[_Server, str]]) -> dict[str, tuple[_Server, str]]:
    for server, _ in servers.values():
        server.seen.clear()
        server.connections = 0
    return servers


def _run(*providers: dict[str, Any]) -> Any:
    method = [
        {"type": "probe", "name": f"p{i}", "provider": {"type": "http", "verify_tls": False, **p}}
        for i, p in enumerate(providers)
    ]
    return run_experiment(parse_experiment({"title": "t", "description": "d", "method": method}))


_SHAPES: list[dict[str, Any]] = [
    {"url": "{base}/a?x=1", "arguments": {"y": [1, 2], "flag": True, "none": None}},
    {"url": "{base}/b", "method": "POST", "arguments": {"a": "1 2&3", "b": False}},
    {
        "url": "{base}/c",
        "method": "put",
        "headers": {"Content-Type": "application/json", "X-Token": "t"},
        "arguments": {"é": [1, 2.5]},
    },
    {"url": "{base}/d", "method": "DELETE", "headers": {"User-Agent": "mine"}},
    {"url": "{base}/e", "method": "POST"},
    {"url": "{base}/gzip-chunked"},
    {"url": "{base}/latin1"},
]


def test_both_paths_send_the_same_requests_and_give_the_same_outputs(
    fresh: dict[str, tuple[_Server, str]],
) -> None:
    outputs: dict[str, list[Any]] = {}
    for scheme, (_, base) in fresh.items():
        shapes = [{**s, "url": s["url"].format(base=base)} for s in _SHAPES]
        journal = _run(*shapes)
        assert all(r.status.value == "succeeded" for r in journal.run), journal.run
        outputs[scheme] = [
            {
                **r.output,
                "headers": {k: v for k, v in r.output["headers"].items() if k.lower() != "date"},
            }
            for r in journal.run
        ]
    assert outputs["http"] == outputs["https"]
    assert outputs["http"][5]["body"] == {"zipped": True, "text": "é"}
    assert outputs["http"][5]["headers"]["X-Twice"] == "a, b"
    assert outputs["http"][6]["body"] == "café"
    assert fresh["http"][0].seen == fresh["https"][0].seen
    first = fresh["http"][0].seen[0]
    assert first["path"] == "/a?x=1&y=1&y=2&flag=true&none="
    assert first["accept-encoding"] == "gzip, deflate" and first["user-agent"].startswith("squall/")
    assert fresh["http"][0].seen[1]["body"] == "a=1+2%263&b=false"
    assert fresh["http"][0].seen[2]["body"] == '{"\\u00e9": [1, 2.5]}'
    assert fresh["http"][0].seen[3]["user-agent"] == "mine"
    assert fresh["http"][0].seen[4]["content-length"] == "0"


def test_one_connection_serves_every_activity_of_a_run(
    fresh: dict[str, tuple[_Server, str]],
) -> None:
    for scheme, (server, base) in fresh.items():
        journal = _run(*[{"url": f"{base}/n{i}"} for i in range(12)])
        assert [r.output["status"] for r in journal.run] == [200] * 12
        assert server.connections == 1, scheme


def test_redirects_follow_the_rules_and_cookies_stay_in_the_chain(
    fresh: dict[str, tuple[_Server, str]],
) -> None:
    server, base = fresh["http"]
    journal = _run(
        {
            "url": f"{base}/redirect?to=/landing&code=302",
            "method": "POST",
            "headers": {"Authorization": "Bearer x"},
            "arguments": {"a": "1"},
        },
        {"url": f"{base}/redirect?to=/kept&code=307", "method": "POST", "arguments": {"a": "2"}},
        {"url": f"{base}/after"},
    )
    assert [r.output["status"] for r in journal.run] == [200, 200, 200]
    landing, kept, after = server.seen[1], server.seen[3], server.seen[4]
    assert (landing["method"], landing["path"], landing["body"]) == ("GET", "/landing", "")
    assert landing["cookie"] == "session=abc" and landing["authorization"] == "Bearer x"
    assert (kept["method"], kept["body"]) == ("POST", "a=2")
    assert "cookie" not in after  # a cookie never outlives its activity

    secure_base = fresh["https"][1]
    away = _run(
        {
            "url": f"{base}/redirect?to={secure_base}/other&code=302",
            "headers": {"Authorization": "Bearer x"},
        }
    )
    assert away.run[0].output["status"] == 200
    assert "authorization" not in fresh["https"][0].seen[-1]  # another origin


def test_a_read_timeout_is_enforced_on_the_plain_path(
    fresh: dict[str, tuple[_Server, str]],
) -> None:
    server, base = fresh["http"]
    journal = _run({"url": f"{base}/hang", "timeout": 0.3})
    server.release.set()
    entry = journal.run[0]
    assert entry.status.value == "failed" and "timed out" in entry.reason
    assert entry.duration < 5
    server.release.clear()


def test_an_http_run_does_not_import_httpx(tmp_path: Path, servers: Any) -> None:
    _, base = servers["http"]
    experiment = tmp_path / "e.json"
    experiment.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "configuration": {"page": "index"},
                "method": [
                    {
                        "type": "probe",
                        "name": "p",
                        "provider": {"type": "http", "url": base + "/${page}.html"},
                    }
                ],
            }
        )
    )
    code = (
        "import sys; from squall.cli import main; "
        f"rc = main(['--settings', {str(tmp_path / 's.yaml')!r}, 'run', '--no-history', "
        f"'--journal-path', {str(tmp_path / 'j.json')!r}, {str(experiment)!r}]); "
        "print(rc, 'httpx' in sys.modules, sorted(m for m in heavy if m in sys.modules))"
    )
    # nor typing (the redirect rules' Protocol is for mypy only), nor the IDNA codec (an
    # ASCII host is given to getaddrinfo as bytes), nor socket (_socket is enough), nor
    # urllib.parse (a plain URL is split by _url), which cost a few ms of the first request
    heavy = ["typing", "encodings.idna", "stringprep", "unicodedata", "socket", "urllib.parse"]
    # nor the proxy rules when no *_proxy variable is set, nor string (the URL's ${page}
    # is interpolated without string.Template)
    heavy += ["squall.proxies", "string"]
    code = (
        f"import sys; heavy = {heavy!r}; assert not [m for m in heavy if m in sys.modules]; {code}"
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.split() == ["0", "False", "[]"], done.stderr


@given(st.lists(st.text(alphabet="ab-.", max_size=70), min_size=1, max_size=4).map(".".join))
def test_an_ascii_host_is_given_to_getaddrinfo_as_the_idna_codec_would_encode_it(
    host: str,
) -> None:
    from squall.providers._wire import _host_bytes

    try:
        expected: str | bytes = host.encode("idna")
    except UnicodeError:
        expected = host  # the codec refuses it: getaddrinfo gets the text and refuses it too
    given_host = _host_bytes(host)
    assert given_host == expected or (given_host == host and expected == b"")


def test_kept_alive_connections_work_with_descriptors_above_1023(
    fresh: dict[str, tuple[_Server, str]],
) -> None:
    """Many open files (a long run, a driver holding sockets): the idle-connection check
    must not use select(), which refuses descriptors above 1023."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.fail(f"the test needs 1200 open files, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        server, base = fresh["http"]
        journal = _run(*[{"url": f"{base}/fd{i}"} for i in range(3)])
        assert [r.output["status"] for r in journal.run] == [200] * 3
        assert server.connections == 1
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
