"""A real HTTP proxy on 127.0.0.1 for tests: forwards ``GET http://host/...`` requests
(absolute form) and tunnels ``CONNECT host:port``, recording each request line and its
``Proxy-Authorization``; with ``credentials`` it answers 407 to any other.

Names are routed by ``routes`` (``{host: (address, port)}``; the tests use names under
``.test``, which no resolver knows, so a request that reached the server by such a name
went through this proxy); any other host must be an address on loopback.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import socket
import threading
from typing import Any

__all__ = ["Proxy"]


class Proxy:
    def __init__(self, credentials: str | None = None) -> None:
        self.routes: dict[str, tuple[str, int]] = {}
        self.seen: list[str] = []  # request lines, in order
        self.authorizations: list[str | None] = []
        self.credentials = credentials  # "user:password" required when set
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self._open: set[socket.socket] = set()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        """Stop accepting, cut every open connection, wait for every thread."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept
        self.sock.close()
        with self.lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self.lock:
                self._open.add(conn)
                self._threads.append(thread)
            thread.start()

    def _target(self, host: str, port: int) -> tuple[str, int]:
        if host in self.routes:
            return self.routes[host]
        if not ipaddress.ip_address(host.strip("[]")).is_loopback:
            raise OSError(f"the test proxy goes to loopback only, not {host}")
        return host.strip("[]"), port

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                self._exchange(conn)
            except (OSError, ValueError):
                pass
            finally:
                with self.lock:
                    self._open.discard(conn)

    def _exchange(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while True:
            line = reader.readline(65537)
            if not line:
                return
            request = line.decode("latin-1").rstrip("\r\n")
            headers: list[tuple[str, str]] = []
            while (raw := reader.readline(65537)) not in (b"\r\n", b"\n", b""):
                name, _, value = raw.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            fields = {k.lower(): v for k, v in headers}
            with self.lock:
                self.seen.append(request)
                self.authorizations.append(fields.get("proxy-authorization"))
            if self.credentials is not None and fields.get("proxy-authorization") != (
                "Basic " + base64.b64encode(self.credentials.encode()).decode()
            ):
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                continue
            method, target, _ = request.split(" ", 2)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                upstream = socket.create_connection(self._target(host, int(port)), timeout=10)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(conn, upstream, reader)
                return
            self._forward(conn, reader, method, target, headers, fields)

    def _forward(
        self,
        conn: socket.socket,
        reader: Any,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        fields: dict[str, str],
    ) -> None:
        rest = target.split("://", 1)[1]
        authority, slash, path = rest.partition("/")
        host, _, port = authority.rpartition(":") if "]" not in authority[-1:] else ("", "", "")
        address = self._target(host or authority, int(port or 80))
        body = reader.read(int(fields.get("content-length") or 0))
        kept = [
            f"{k}: {v}"
            for k, v in headers
            if not k.lower().startswith("proxy-") and k.lower() != "connection"
        ]
        head = "\r\n".join([f"{method} {slash}{path} HTTP/1.1", *kept, "Connection: close"])
        with socket.create_connection(address, timeout=10) as upstream:
            upstream.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
        conn.sendall(answer)  # the server's "Connection: close": the client will not reuse


def _pipe(client: socket.socket, upstream: socket.socket, reader: Any) -> None:
    """Relay both ways until either side closes (the client sends nothing before the
    proxy's 200, so the reader holds no buffered bytes)."""

    def up() -> None:
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=up, daemon=True)
    thread.start()
    try:
        while data := upstream.recv(65536):
            client.sendall(data)
    except OSError:
        pass
    thread.join(10)
    upstream.close()
