"""An HTTP activity against a server that never stops sending ends, in bounded memory.

Found: a probe ``{"type": "http", "url": ..., "timeout": 4}`` against a server streaming
an endless chunked body never ended (nor against one sending a little, often) (the timeout bounded each read, not the exchange,
although the docs say "seconds for the whole exchange"), and squall grew by about
25 MB a second until it was killed. A small gzip body that expands to hundreds of
megabytes was decompressed whole.

Now the exchange ends at its timeout (``ActivityTimeout``), a body is read up to
``MAX_BODY`` (64 MiB, as a process's output), and decompression stops there too: beyond
it the activity fails, saying why.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from squall.providers._wire import MAX_BODY


class Endless:
    """A server on 127.0.0.1: ``/endless`` streams a chunked body for ever as fast as it
    can, ``/trickle`` sends 16 bytes every 50 ms for ever; ``/bomb``
    sends a small gzip body that expands to twice MAX_BODY."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bomb = gzip.compress(b"\0" * (2 * MAX_BODY), compresslevel=9)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = conn.recv(65536)
                if b"/bomb" in request.split(b"\r\n", 1)[0]:
                    head = (
                        "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                        f"Content-Length: {len(self.bomb)}\r\n\r\n"
                    )
                    conn.sendall(head.encode() + self.bomb)
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                trickle = b"/trickle" in request.split(b"\r\n", 1)[0]
                chunk = b"a" * (16 if trickle else 4096)
                frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
                while True:
                    conn.sendall(frame)
                    if trickle:  # a little, often: no read ever waits for its timeout
                        time.sleep(0.05)
            except OSError:
                pass


@pytest.fixture(scope="module")
def server() -> Iterator[Endless]:
    endless = Endless()
    yield endless
    endless.sock.close()


def _run(squall: Any, tmp_path: Path, url: str, timeout: float | None) -> Any:
    provider: dict[str, Any] = {"type": "http", "url": url}
    if timeout is not None:
        provider["timeout"] = timeout
    experiment = {
        "title": "endless",
        "description": "a server that never stops sending",
        "method": [{"type": "probe", "name": "p", "provider": provider}],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    return squall("run", "e.json", timeout=120)


def test_an_endless_trickle_ends_at_the_timeout(
    server: Endless, squall: Any, tmp_path: Path
) -> None:
    result = _run(squall, tmp_path, f"http://127.0.0.1:{server.port}/trickle", 2)
    assert result.code == 3, result.stderr
    entry = result.journal["run"][0]
    assert entry["status"] == "failed"
    assert "ActivityTimeout" in "".join(entry["exception"]), entry["exception"]
    assert entry["duration"] < 30


def test_an_endless_body_without_timeout_stops_at_the_body_limit(
    server: Endless, squall: Any, tmp_path: Path
) -> None:
    result = _run(squall, tmp_path, f"http://127.0.0.1:{server.port}/endless", None)
    assert result.code == 3, result.stderr
    assert "larger than 64 MiB" in "".join(result.journal["run"][0]["exception"])


def test_a_decompression_bomb_stops_at_the_body_limit(
    server: Endless, squall: Any, tmp_path: Path
) -> None:
    result = _run(squall, tmp_path, f"http://127.0.0.1:{server.port}/bomb", 30)
    assert result.code == 3, result.stderr
    assert "larger than 64 MiB" in "".join(result.journal["run"][0]["exception"])
