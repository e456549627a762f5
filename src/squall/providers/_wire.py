"""A small HTTP/1.1 client on a plain socket, for the http provider's ``http://`` requests.

httpx costs about 50 ms to import and about half a millisecond of CPU per request; this
costs a few milliseconds to import (``socket``) and sends the same bytes. It keeps idle
connections per host and port (``Pool``), reads responses framed by ``Content-Length``,
``Transfer-Encoding: chunked`` or the end of the connection, and decodes ``gzip`` and
``deflate`` bodies. Anything it does not do (TLS, proxies, credentials in the URL) stays
with httpx; ``http.py`` decides which requests come here.
"""

from __future__ import annotations

import socket
import threading
import time

__all__ = ["Pool", "WireError", "WireResponse", "WireTimeout", "decode_headers"]

_MAX_LINE = 65536  # the limits of http.client
_MAX_HEADERS = 100
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_RETRY_BACKOFF = 0.5  # httpcore's: 0 s, then 0.5 s, 1 s, 2 s ...


class WireError(Exception):
    """The exchange failed (connection refused, reset, malformed response...)."""


class WireTimeout(WireError):
    """Connecting, sending or reading took longer than its timeout."""


class WireResponse:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers  # in the server's order and case
        self.body = body

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


class _Connection:
    """One socket and what has been read from it but not used yet."""

    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buffer += data

    def line(self) -> bytes:
        while (end := self.buffer.find(b"\n")) < 0:
            if len(self.buffer) > _MAX_LINE:
                raise WireError("response line too long")
            self._fill()
        if end > _MAX_LINE:
            raise WireError("response line too long")
        line = bytes(self.buffer[: end + 1])
        del self.buffer[: end + 1]
        return line

    def exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def rest(self) -> bytes:
        try:
            while True:
                self._fill()
        except EOFError:
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def close(self) -> None:
        self.sock.close()


class Pool:
    """Kept-alive connections by (host, port); safe to share between threads."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._lock = threading.Lock()
        self.opened = 0  # connections opened so far (for tests and figures)

    def request(
        self,
        method: str,
        address: tuple[str, int],
        head: bytes,
        body: bytes,
        timeouts: tuple[float | None, float | None],
        retries: int = 0,
    ) -> WireResponse:
        """Send ``head`` (request line and headers, ending with the blank line) and ``body``
        to ``address``; return the response with its body decoded."""
        connection = self._take(address)
        if connection is not None:
            try:
                return self._exchange(connection, address, method, head + body, timeouts[1])
            except (ConnectionError, EOFError):
                connection.close()  # the server dropped a kept-alive connection
                if method not in _IDEMPOTENT:
                    raise WireError("Server disconnected without sending a response.") from None
        connection = self._connect(address, timeouts[0], retries)
        try:
            return self._exchange(connection, address, method, head + body, timeouts[1])
        except EOFError:
            raise WireError("Server disconnected without sending a response.") from None
        except ConnectionError as exc:
            raise WireError(str(exc)) from None

    def _take(self, address: tuple[str, int]) -> _Connection | None:
        with self._lock:
            idle = self._idle.get(address)
            while idle:
                connection = idle.pop()
                if _still_open(connection.sock):
                    return connection
                connection.close()
        return None

    def _connect(
        self, address: tuple[str, int], timeout: float | None, retries: int
    ) -> _Connection:
        delay = 0.0
        target = (_host_bytes(address[0]), address[1])
        while True:
            try:  # getaddrinfo takes the host as bytes too (typeshed says str)
                sock = socket.create_connection(target, timeout)  # type: ignore[arg-type]
            except TimeoutError as exc:
                if retries <= 0:
                    raise WireTimeout(str(exc) or "timed out") from None
            except OSError as exc:
                if retries <= 0:
                    raise WireError(str(exc)) from None
            else:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.opened += 1
                return _Connection(sock)
            retries -= 1
            time.sleep(delay)
            delay = _RETRY_BACKOFF if delay == 0 else delay * 2

    def _exchange(
        self,
        connection: _Connection,
        address: tuple[str, int],
        method: str,
        data: bytes,
        timeout: float | None,
    ) -> WireResponse:
        connection.sock.settimeout(timeout)
        try:
            connection.sock.sendall(data)
            status, headers, keep = _read_head(connection)
            body, keep = _read_body(connection, method, status, headers, keep)
        except TimeoutError as exc:
            connection.close()
            raise WireTimeout(str(exc) or "timed out") from None
        except WireError:
            connection.close()
            raise
        except (ConnectionError, EOFError):
            connection.close()
            raise
        except OSError as exc:
            connection.close()
            raise WireError(str(exc)) from None
        if keep and not connection.buffer:
            with self._lock:
                self._idle.setdefault(address, []).append(connection)
        else:
            connection.close()
        return WireResponse(status, headers, _decode(body, headers))

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for connection in idle:
                    connection.close()
            self._idle.clear()


def _host_bytes(host: str) -> str | bytes:
    """The host as ``getaddrinfo`` is given it: an ASCII name whose labels the IDNA codec
    would pass unchanged (1 to 63 characters, a trailing dot allowed) as its bytes, which
    is what that codec returns for it, without importing the codec (``encodings.idna``,
    ``stringprep``, ``unicodedata``: about 2 ms) for the run's first request; anything
    else as it is, for the codec to encode or refuse."""
    if not host.isascii():
        return host
    labels = host.split(".")
    if len(labels) > 1 and not labels[-1]:
        labels.pop()  # the root's empty label
    if all(0 < len(label) < 64 for label in labels):
        return host.encode("ascii")
    return host


def _still_open(sock: socket.socket) -> bool:
    """An idle kept-alive connection has nothing to read: end-of-file means the server
    closed it, bytes mean junk; either way it is not reused. (A peek, not ``select``,
    which fails for descriptors above 1023.)"""
    sock.settimeout(0.0)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _read_head(connection: _Connection) -> tuple[int, list[tuple[str, str]], bool]:
    while True:
        line = connection.line()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise WireError(f"malformed response status line {line[:80]!r}")
        status = int(parts[1])
        raw = _read_headers(connection)
        if not 100 <= status < 200 or status == 101:
            break  # informational responses (100 Continue...) are skipped
    headers = decode_headers(raw)
    connection_tokens = ",".join(v for k, v in headers if k.lower() == "connection").lower()
    if parts[0] == b"HTTP/1.0":
        keep = "keep-alive" in connection_tokens
    else:
        keep = "close" not in connection_tokens
    return status, headers, keep


def _read_headers(connection: _Connection) -> list[tuple[bytes, bytes]]:
    raw: list[tuple[bytes, bytes]] = []
    while (line := connection.line()) not in (b"\r\n", b"\n"):
        if line[:1] in (b" ", b"\t") and raw:  # obsolete line folding
            raw[-1] = (raw[-1][0], raw[-1][1] + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise WireError(f"malformed response header {line[:80]!r}")
        raw.append((name, value.strip()))
        if len(raw) > _MAX_HEADERS:
            raise WireError(f"got more than {_MAX_HEADERS} headers")
    return raw


def decode_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """As httpx: ASCII, else UTF-8 when every header decodes, else Latin-1."""
    for encoding in ("ascii", "utf-8"):
        try:
            return [(k.decode(encoding), v.decode(encoding)) for k, v in raw]
        except UnicodeDecodeError:
            continue
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _read_body(
    connection: _Connection, method: str, status: int, headers: list[tuple[str, str]], keep: bool
) -> tuple[bytes, bool]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b"", keep
    encoding = _header(headers, "transfer-encoding")
    if encoding is not None and encoding.lower().rsplit(",", 1)[-1].strip() == "chunked":
        return _read_chunked(connection), keep
    length = _header(headers, "content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise WireError(f"malformed Content-Length {length!r}")
        try:
            return connection.exact(int(length)), keep
        except EOFError:
            raise WireError(
                "peer closed connection without sending complete message body"
            ) from None
    return connection.rest(), False


def _read_chunked(connection: _Connection) -> bytes:
    chunks = bytearray()
    try:
        while True:
            size_text = connection.line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise WireError(f"malformed chunk size {size_text[:20]!r}") from None
            if size == 0:
                _read_headers(connection)  # trailers, ignored
                return bytes(chunks)
            chunks += connection.exact(size)
            connection.line()  # the CRLF after the chunk
    except EOFError:
        raise WireError("peer closed connection without sending complete message body") from None


def _decode(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate; others are left as they are, as httpx
    does)."""
    value = _header(headers, "content-encoding")
    if not value or not body:
        return body
    import zlib

    for coding in reversed([c.strip().lower() for c in value.split(",")]):
        try:
            if coding in ("gzip", "x-gzip"):
                body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompressobj().decompress(body)
                except zlib.error:
                    body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body)
        except zlib.error as exc:
            raise WireError(f"cannot decode the {coding} body: {exc}") from None
    return body
