"""The small http client (``_wire``) against a raw TCP server on loopback that answers with
odd or hostile response heads: odd framing is parsed, endless heads are refused within
http.client's bounds (100 header lines of 64 KiB), never read without limit."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from squall import run_experiment
from squall.experiment import parse_experiment


class _Raw:
    """Accepts connections; answers each request with ``self.answer`` (bytes, or a
    generator of bytes for endless answers), ``self.step`` bytes per send."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.answer: Any = b""
        self.step = 1 << 16
        self.sent = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/x"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                self.sent = 0
                chunks = [self.answer] if isinstance(self.answer, bytes) else self.answer
                try:
                    for chunk in chunks:
                        for start in range(0, len(chunk), self.step):
                            conn.sendall(chunk[start : start + self.step])
                            self.sent += len(chunk[start : start + self.step])
                except OSError:
                    pass  # the client gave up: expected for endless answers


@pytest.fixture(scope="module")
def raw() -> Iterator[_Raw]:
    server = _Raw()
    yield server
    server.sock.close()


def _get(url: str) -> Any:
    doc = {
        "title": "t",
        "description": "d",
        "method": [{"type": "probe", "name": "p", "provider": {"type": "http", "url": url}}],
    }
    entry = run_experiment(parse_experiment(doc)).run[0]
    assert entry is not None
    return entry


def test_a_head_sent_byte_by_byte_with_mixed_line_ends_and_folding(raw: _Raw) -> None:
    raw.step = 1
    raw.answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nX-One: 1\nX-Folded: a\r\n  b\r\nx-one: 2\r\n"
        b"Content-Length: 2\r\nConnection: close\n\nok"
    )
    entry = _get(raw.url)
    raw.step = 1 << 16
    assert entry.status.value == "succeeded", entry.reason
    assert entry.output["status"] == 200 and entry.output["body"] == "ok"
    assert entry.output["headers"] == {
        "X-One": "1, 2",
        "X-Folded": "a b",
        "Content-Length": "2",
        "Connection": "close",
    }


def test_a_bare_newline_head_and_a_head_without_headers(raw: _Raw) -> None:
    raw.answer = b"HTTP/1.0 204 No Content\n\n"
    entry = _get(raw.url)
    assert entry.status.value == "succeeded", entry.reason
    assert (entry.output["status"], entry.output["headers"]) == (204, {})


def _endless(unit: bytes, first: bytes = b"HTTP/1.1 200 OK\r\n") -> Iterator[bytes]:
    yield first
    while True:
        yield unit * 1024


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (lambda: _endless(b"a", b"HTTP/1.1 200 OK\r\nX-Long: "), "response line too long"),
        (lambda: _endless(b"X-Many: 1\r\n"), "got more than 100 headers"),
        (lambda: _endless(b"  folded\r\n", b"HTTP/1.1 200 OK\r\nX: 1\r\n"), "more than 100"),
        (lambda: iter([b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 101 + b"\r\n"]), "more than 100"),
        (lambda: iter([b"SMTP ready\r\n\r\n"]), "malformed response status line"),
        (lambda: iter([b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n"]), "malformed response header"),
    ],
    ids=["endless-line", "endless-headers", "endless-folding", "101-headers", "status", "header"],
)
def test_hostile_heads_fail_the_activity_within_bounds(raw: _Raw, answer: Any, reason: str) -> None:
    raw.answer = answer()
    entry = _get(raw.url)
    assert entry.status.value == "failed"
    assert reason in entry.reason
    # what the client read before refusing: http.client's bounds (plus socket buffers)
    assert raw.sent < 101 * 65536 + 8 * 2**20
