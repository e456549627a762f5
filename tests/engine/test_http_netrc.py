"""The http provider reads ``.netrc`` as the Chaos Toolkit's (requests) does, more safely:
the ``machine`` entry of the named host gives ``Authorization: Basic`` when the activity
gives no credentials of its own, and only that host gets it (no redirect elsewhere, no
https-to-http downgrade, no proxy); the credentials are masked in every sink; a file
others may read, a malformed one, a device or a FIFO is not used and says why (located),
never a traceback or a hang.

Real servers on 127.0.0.1 and 127.0.0.2 (HTTP, HTTPS with a generated certificate) record
the ``Authorization`` each request carried: the journal masks it, the servers do not."""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from httpproxy import Proxy

from squall import run_experiment
from squall.drivers.security._pki import make_authority, make_leaf
from squall.experiment import parse_experiment

PASSWORD = "n3trc-CANARY-pw"
OTHER = "0ther-CANARY-pw"
NAME = "app.squall-netrc.test"  # no resolver knows it: only the proxy reaches it


_PRIVATE = {"title": "private", "description": "d", "method": [
    {"type": "probe", "name": "p", "provider": {"type": "python", "module": "os", "func": "getcwd"}}]}  # fmt: skip


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        if self.path.startswith("/go?"):
            self.send_response(307)
            self.send_header("Location", self.path[len("/go?") :])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"auth": self.headers.get("Authorization")}).encode()
        if self.path == "/private/e.json":  # an experiment only alice may load
            if self.headers.get("Authorization") != _basic("alice", PASSWORD):
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps(_PRIVATE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(address: str, tls_dir: Path | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((address, 0), _Echo)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    if tls_dir is not None:
        leaf = make_leaf(make_authority(), [address])
        cert, key = leaf.write(tls_dir / "c.pem", tls_dir / "k.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Servers:
    def __init__(self, tls_dir: Path) -> None:
        self.one = _serve("127.0.0.1")
        self.two = _serve("127.0.0.2")
        self.tls = _serve("127.0.0.1", tls_dir)

    def url(self, which: str, path: str = "/x") -> str:
        server = getattr(self, which)
        scheme = "https" if which == "tls" else "http"
        host, port = server.server_address[:2]
        return f"{scheme}://{host}:{port}{path}"

    def clear(self) -> None:
        for server in (self.one, self.two, self.tls):
            server.seen.clear()

    def close(self) -> None:
        for server in (self.one, self.two, self.tls):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Servers]:
    running = _Servers(tmp_path_factory.mktemp("tls"))
    yield running
    running.close()


@pytest.fixture
def netrc(servers: _Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """$NETRC with alice's password for 127.0.0.1 and bob's for 127.0.0.2 (mode 0600)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    path = tmp_path / "netrc"
    path.write_text(
        f"machine 127.0.0.1\n  login alice\n  password {PASSWORD}\n"
        f"machine 127.0.0.2 login bob password {OTHER}\n"
    )
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    servers.clear()
    yield path


def _run(*providers: dict[str, Any]) -> list[Any]:
    method = [
        {"type": "probe", "name": f"p{i}", "provider": {"type": "http", **p}}
        for i, p in enumerate(providers)
    ]
    journal = run_experiment(parse_experiment({"title": "t", "description": "d", "method": method}))
    entries = list(journal.run)
    assert all(e.status.value == "succeeded" for e in entries), [e.reason for e in entries]
    text = json.dumps(journal.to_document())
    for secret in (PASSWORD, OTHER, _basic("alice", PASSWORD)[6:], _basic("bob", OTHER)[6:]):
        assert secret not in text
    return entries


def test_the_named_hosts_entry_is_sent_over_http_and_https_and_masked(
    netrc: Path, servers: _Servers
) -> None:
    entries = _run(
        {"url": servers.url("one")},
        {"url": servers.url("tls"), "verify_tls": False},
        {"url": servers.url("two")},
    )
    assert servers.one.seen == [("/x", _basic("alice", PASSWORD))]
    assert servers.tls.seen == [("/x", _basic("alice", PASSWORD))]
    assert servers.two.seen == [("/x", _basic("bob", OTHER))]
    assert [e.output["body"]["auth"] for e in entries] == ["Basic ***"] * 3


def test_credentials_the_activity_gives_win(netrc: Path, servers: _Servers) -> None:
    """requests lets .netrc replace an explicit Authorization header (psf/requests#3929)."""
    port = servers.one.server_address[1]
    _run(
        {"url": servers.url("one"), "headers": {"authorization": "Bearer mine"}},
        {"url": f"http://carol:pw@127.0.0.1:{port}/u"},
    )
    assert servers.one.seen == [("/x", "Bearer mine"), ("/u", _basic("carol", "pw"))]


def test_no_entry_and_the_default_entry_send_nothing(
    netrc: Path, servers: _Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "only-default"
    path.write_text(
        f"machine localhost login x password {PASSWORD}\ndefault login d password {OTHER}\n"
    )
    path.chmod(0o600)
    monkeypatch.setenv("NETRC", str(path))
    _run({"url": servers.url("one")})
    assert servers.one.seen == [("/x", None)]


def test_redirects_keep_them_on_the_named_host_only(netrc: Path, servers: _Servers) -> None:
    same = servers.url("one", "/go?" + servers.url("one", "/landed"))
    elsewhere = servers.url("one", "/go?" + servers.url("two", "/landed"))
    down = servers.url("tls", "/go?" + servers.url("one", "/landed"))
    _run({"url": same}, {"url": elsewhere}, {"url": down, "verify_tls": False})
    alice = _basic("alice", PASSWORD)
    assert servers.one.seen[:2] == [(same[same.index("/go") :], alice), ("/landed", alice)]
    assert servers.one.seen[2] == (elsewhere[elsewhere.index("/go") :], alice)
    # 127.0.0.2 has bob's entry, but the activity named 127.0.0.1: nothing goes there
    assert servers.two.seen == [("/landed", None)]
    # https://127.0.0.1 -> http://127.0.0.1: not in clear text
    assert servers.tls.seen == [(down[down.index("/go") :], alice)]
    assert servers.one.seen[3:] == [("/landed", None)]


def test_a_proxy_never_gets_them(
    netrc: Path, servers: _Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy is on 127.0.0.1, which has an entry: it gets no Proxy-Authorization; the
    target (by its name) gets its own entry, through the proxy."""
    netrc.write_text(
        f"machine 127.0.0.1 login alice password {PASSWORD}\n"
        f"machine {NAME} login bob password {OTHER}\n"
    )
    proxy = Proxy()
    proxy.routes = {NAME: ("127.0.0.1", servers.one.server_address[1])}
    try:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        _run({"url": f"http://{NAME}:{servers.one.server_address[1]}/p"})
    finally:
        proxy.close()
    assert proxy.authorizations == [None]
    assert servers.one.seen == [("/p", _basic("bob", OTHER))]


def _cli_run(squall: Any, tmp_path: Path, url: str, netrc: str, *first: str) -> Any:
    doc = {"title": "t", "description": "d", "method": [
        {"type": "probe", "name": "get", "provider": {"type": "http", "url": url}}]}  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(doc))
    journal = str(tmp_path / "journal.json")
    args = [*first, "run", "--keep-events", "--journal-path", journal, str(tmp_path / "e.json")]
    return squall(*args, env={"NETRC": netrc})


def test_no_sink_shows_them(squall: Any, netrc: Path, servers: _Servers, tmp_path: Path) -> None:
    reports = tmp_path / "r"
    result = _cli_run(
        squall, tmp_path, servers.url("one"), str(netrc),
        "--log-file", str(tmp_path / "log"), "--log-file-level", "debug",
    )  # fmt: skip
    for fmt in ("html", "markdown", "json", "junit"):
        made = squall("report", "-f", fmt, "-o", f"{reports}.{fmt}", str(tmp_path / "journal.json"))
        assert made.code == 0, made.stderr
    assert result.code == 0, result.stderr
    assert servers.one.seen == [("/x", _basic("alice", PASSWORD))]
    sinks = [result.stdout, result.stderr]
    sinks += [p.read_text() for p in tmp_path.iterdir() if p.is_file() and p.name != "netrc"]
    assert len(sinks) >= 9, sorted(p.name for p in tmp_path.iterdir())
    token = _basic("alice", PASSWORD)[6:]
    for text in sinks:
        assert PASSWORD not in text and token not in text


@pytest.mark.parametrize(
    ("text", "mode", "said"),
    [
        (f"machine 127.0.0.1 login a password {PASSWORD}\n", 0o644,
         "other users may read or write it (mode 0644; chmod 600 it)"),
        (f"machine 127.0.0.1 login a password {PASSWORD}\n", 0o620, "mode 0620"),
        (f"# x\nmachine 127.0.0.1 login a password {PASSWORD}\nwhat is this\n", 0o600,
         "malformed: bad follower token"),
    ],
    ids=["world-readable", "group-writable", "malformed"],
)  # fmt: skip
def test_a_file_that_is_not_safe_or_not_right_is_not_used_and_says_why(
    squall: Any, servers: _Servers, tmp_path: Path, text: str, mode: int, said: str, netrc: Path
) -> None:
    path = tmp_path / "bad-netrc"
    path.write_text(text)
    path.chmod(mode)
    result = _cli_run(squall, tmp_path, servers.url("one"), str(path))
    assert result.code == 0, result.stderr
    assert f"warn get: {path}" in result.stderr and said in result.stderr, result.stderr
    assert "its credentials are not used" in result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
    assert servers.one.seen == [("/x", None)]


def test_a_malformed_file_does_not_quote_a_piece_of_a_password(
    squall: Any, servers: _Servers, tmp_path: Path, netrc: Path
) -> None:
    """Found (session 9): Python's parser names the token it trips on, and in a password
    with a space left unquoted that token is the password's second half: the warning
    printed it on the console and in the journal."""
    path = tmp_path / "bad-netrc"
    path.write_text(f"machine 127.0.0.1 login a password {PASSWORD} tail-of-it-93c1\n")
    path.chmod(0o600)
    result = _cli_run(squall, tmp_path, servers.url("one"), str(path))
    assert result.code == 0, result.stderr
    assert f"warn get: {path}:" in result.stderr and "malformed" in result.stderr
    for text in (result.stderr, (tmp_path / "journal.json").read_text()):
        assert "tail-of-it-93c1" not in text and PASSWORD not in text


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_netrc_that_is_no_regular_file_is_not_read(
    squall: Any, servers: _Servers, tmp_path: Path, kind: str, netrc: Path
) -> None:
    """A FIFO would block the run, /dev/zero would fill memory."""
    if kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    else:
        path = "/dev/zero" if kind == "device" else str(tmp_path)
    result = _cli_run(squall, tmp_path, servers.url("one"), path)
    assert result.code == 0, result.stderr
    assert f"{path}: not a regular file; its credentials are not used" in result.stderr
    assert servers.one.seen == [("/x", None)]


def test_without_netrc_nothing_changes(
    servers: _Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, netrc: Path
) -> None:
    monkeypatch.setenv("NETRC", str(tmp_path / "missing"))
    _run({"url": servers.url("one")})
    monkeypatch.delenv("NETRC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _run({"url": servers.url("one")})
    assert servers.one.seen == [("/x", None), ("/x", None)]


def test_an_experiment_loaded_from_a_url_uses_the_hosts_entry(
    squall: Any, servers: _Servers, tmp_path: Path, netrc: Path
) -> None:
    """The Chaos Toolkit's loader (requests) reads .netrc too; the loader's own token wins."""
    url = servers.url("one", "/private/e.json")
    done = squall("validate", url, env={"NETRC": str(netrc)})
    assert done.code == 0, done.stderr
    assert "valid (1 activity)" in done.stderr and PASSWORD not in done.stderr
    token = squall(
        "validate", url, env={"NETRC": str(netrc), "SQUALL_LOADER_AUTH_BEARER_TOKEN": "t"}
    )
    assert token.code == 2 and "HTTP 401" in token.stderr, token.stderr
    netrc.chmod(0o644)
    refused = squall("validate", url, env={"NETRC": str(netrc)})
    assert refused.code == 2 and "HTTP 401" in refused.stderr, refused.stderr
    assert f"{netrc}: other users may read or write it" in refused.stderr
    assert [auth for _, auth in servers.one.seen] == [_basic("alice", PASSWORD), "Bearer t", None]


_SWAPPER = """
import os, sys
target, files, i = sys.argv[1], sys.argv[2:], 0
while True:
    i ^= 1
    os.link(files[i], target + ".tmp")
    os.replace(target + ".tmp", target)
"""


def test_a_file_swapped_after_its_checks_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``$NETRC`` in a directory another user can write: a process swaps the path,
    as fast as it can, between a safe file and one others may read. Each read must use
    the file it checked: never the unsafe file's entry. Found (session 9's report):
    checked with stat(path), then opened by path; 60 of 37,818 reads in 3 s took the
    unsafe file's password."""
    import subprocess
    import sys
    import time

    from squall.netrc_auth import read_netrc

    safe, unsafe, target = tmp_path / "safe", tmp_path / "unsafe", tmp_path / "netrc"
    safe.write_text(f"machine h login a password {PASSWORD}\n")
    safe.chmod(0o600)
    unsafe.write_text(f"machine h login b password {OTHER}\n")
    unsafe.chmod(0o644)
    os.link(safe, target)
    monkeypatch.setenv("NETRC", str(target))
    swapper = subprocess.Popen(
        [sys.executable, "-c", _SWAPPER, str(target), str(safe), str(unsafe)]
    )
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            found = read_netrc()
            assert found is not None
            seen.add(found.problem.split(" (")[0])
            assert found.entries.get("h", ("", ""))[1] != OTHER, "the unsafe file was read"
    finally:
        swapper.kill()
        swapper.wait()
    assert seen == {"", "other users may read or write it"}  # both files were seen


def test_a_kept_event_file_masks_a_password_learnt_during_the_run(
    squall: Any, netrc: Path, servers: _Servers, tmp_path: Path
) -> None:
    """The experiment's own text holds the ``.netrc`` password (a probe's argument),
    which squall learns only at the http request: the event file's start line was
    written before, in clear, and ``--keep-events`` kept it so (session 9, documented).
    Now the kept copy of an ended run is masked throughout."""
    doc = {"title": "t", "description": "d", "method": [
        {"type": "probe", "name": "look", "provider": {
            "type": "python", "module": "os.path", "func": "exists", "arguments": {"path": PASSWORD}}},
        {"type": "probe", "name": "get", "provider": {"type": "http", "url": servers.url("one")}}]}  # fmt: skip
    (tmp_path / "e.json").write_text(json.dumps(doc))
    journal = tmp_path / "journal.json"
    result = squall(
        "run", "--keep-events", "--journal-path", str(journal), str(tmp_path / "e.json"),
        env={"NETRC": str(netrc)},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert servers.one.seen == [("/x", _basic("alice", PASSWORD))]
    kept = [p for p in tmp_path.iterdir() if p.name.endswith(".events.jsonl")]
    assert len(kept) == 1 and kept[0].stat().st_mode & 0o077 == 0, kept
    lines = kept[0].read_text().splitlines()
    assert json.loads(lines[0])["event"] == "start" and json.loads(lines[-1])["event"] == "end"
    assert PASSWORD not in kept[0].read_text() and '"path": "***"' in lines[0]
    assert PASSWORD not in journal.read_text()
