"""A small HTTP/1.1 client on a plain socket, for the http provider's ``http://`` requests.

httpx costs about 50 ms to import and about half a millisecond of CPU per request; this
sends the same bytes and imports only ``_socket``, the C module under ``socket``
(``import socket`` is 13.6 M instructions, about 3 ms: it builds four ``IntEnum`` classes
from the C module's constants; ``_socket`` is 1.4 M). It keeps idle
connections per host and port (``Pool``), reads responses framed by ``Content-Length``,
``Transfer-Encoding: chunked`` or the end of the connection, and decodes ``gzip`` and
``deflate`` bodies. Anything it does not do (TLS, proxies, credentials in the URL) stays
with httpx; ``http.py`` decides which requests come here.
"""

from __future__ import annotations

import _socket
import threading
import time

from squall.providers._capture import MAX_CAPTURE

__all__ = ["Pool", "WireError", "WireResponse", "WireTimeout", "decode_headers"]

_MAX_LINE = 65536  # the limits of http.client
#: the most of a response body squall reads (decompressed): as a process's output
MAX_BODY = MAX_CAPTURE
TOO_LARGE = "the response body is larger than 64 MiB: squall stopped reading it"
_MAX_HEADERS = 100
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_RETRY_BACKOFF = 0.5  # httpcore's: 0 s, then 0.5 s, 1 s, 2 s ...


class WireError(Exception):
    """The exchange failed (connection refused, reset, malformed response...)."""


class WireTimeout(WireError):
    """Connecting, sending or reading took longer than its timeout."""


class WireResponse:
    __slots__ = ("body", "fields", "headers", "status")

    def __init__(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.headers = headers  # in the server's order and case
        self.body = body
        #: each header's first value by its lower-case name
        self.fields = index(headers) if fields is None else fields

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        return self.fields.get(name.lower())


def index(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Each header's first value by its lower-case name; ``connection`` holds all the
    Connection headers' values, joined by commas."""
    fields: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key not in fields:
            fields[key] = value
        elif key == "connection":
            fields[key] += "," + value
    return fields


class _Connection:
    """One socket and what has been read from it but not used yet."""

    __slots__ = ("buffer", "deadline", "sock")

    def __init__(self, sock: _socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        #: when the exchange must be over (time.monotonic()); None: no bound
        self.deadline: float | None = None

    def _fill(self) -> None:
        if self.deadline is not None:  # the timeout bounds the whole exchange
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the exchange took longer than its timeout")
            self.sock.settimeout(left)
        if len(self.buffer) > MAX_BODY + _MAX_LINE:
            raise WireError(TOO_LARGE)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buffer += data

    def head(self) -> list[bytes]:
        """The lines of the next response head (the status line and the header lines, each
        without its ``\\n``), up to the blank line that ends the head; both are consumed.
        At most ``_MAX_HEADERS`` + 1 lines of at most ``_MAX_LINE`` bytes, as http.client
        (so at most about 6.5 MB are held, whatever the server sends)."""
        buffer = self.buffer
        start = counted = newlines = 0
        while True:
            end, size = buffer.find(b"\n\r\n", start), 3
            bare = buffer.find(b"\n\n", start, None if end < 0 else end + 1)
            if bare >= 0:
                end, size = bare, 2
            if end >= 0:
                break
            newlines += buffer.count(b"\n", counted)
            counted = len(buffer)
            if newlines > _MAX_HEADERS + 1:
                raise WireError(f"got more than {_MAX_HEADERS} headers")
            if len(buffer) - buffer.rfind(b"\n") - 1 > _MAX_LINE:
                raise WireError("response line too long")
            start = max(len(buffer) - 2, 0)
            self._fill()
        lines = bytes(buffer[:end]).split(b"\n")
        del buffer[: end + size]
        if len(lines) > _MAX_HEADERS + 1:
            raise WireError(f"got more than {_MAX_HEADERS} headers")
        if end > _MAX_LINE and max(map(len, lines)) > _MAX_LINE:
            raise WireError("response line too long")
        return lines

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
        if size > MAX_BODY:
            raise WireError(TOO_LARGE)
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
            try:
                sock = _create_connection(target, timeout)
            except TimeoutError as exc:
                if retries <= 0:
                    raise WireTimeout(str(exc) or "timed out") from None
            except OSError as exc:
                if retries <= 0:
                    raise WireError(str(exc)) from None
            else:
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
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
        connection.deadline = None if timeout is None else time.monotonic() + timeout
        try:
            connection.sock.sendall(data)
            status, headers, fields, keep = _read_head(connection)
            body, keep = _read_body(connection, method, status, fields, keep)
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
        return WireResponse(status, headers, _decode(body, fields), fields)

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for connection in idle:
                    connection.close()
            self._idle.clear()


def _create_connection(address: tuple[str | bytes, int], timeout: float | None) -> _socket.socket:
    """``socket.create_connection`` on ``_socket``: each address ``getaddrinfo`` gives in
    turn; the last one's error when none connects."""
    error: OSError | None = None
    host, port = address
    for family, kind, proto, _, peer in _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(peer)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock
    raise error or OSError("getaddrinfo returns an empty list")


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


def _still_open(sock: _socket.socket) -> bool:
    """An idle kept-alive connection has nothing to read: end-of-file means the server
    closed it, bytes mean junk; either way it is not reused. (A peek, not ``select``,
    which fails for descriptors above 1023.)"""
    sock.settimeout(0.0)
    try:
        sock.recv(1, _socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _read_head(connection: _Connection) -> tuple[int, list[tuple[str, str]], dict[str, str], bool]:
    while True:
        lines = connection.head()
        parts = lines[0].split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise WireError(f"malformed response status line {lines[0][:80]!r}")
        status = int(parts[1])
        if not 100 <= status < 200 or status == 101:
            break  # informational responses (100 Continue...) are skipped
    headers = decode_headers(_parse_headers(lines[1:]))
    fields = index(headers)
    tokens = fields.get("connection", "").lower()
    keep = "keep-alive" in tokens if parts[0] == b"HTTP/1.0" else "close" not in tokens
    return status, headers, fields, keep


def _parse_headers(lines: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Header lines as (name, value) pairs, values stripped, folded lines unfolded."""
    raw: list[tuple[bytes, bytes]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and raw:  # obsolete line folding
            raw[-1] = (raw[-1][0], raw[-1][1] + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise WireError(f"malformed response header {line[:80]!r}")
        raw.append((name, value.strip()))
    return raw


def _skip_trailers(connection: _Connection) -> None:
    """Read the trailer lines after a chunked body, up to the blank line (ignored)."""
    for _ in range(_MAX_HEADERS + 1):
        if connection.line() in (b"\r\n", b"\n"):
            return
    raise WireError(f"got more than {_MAX_HEADERS} headers")


def decode_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """As httpx: ASCII, else UTF-8 when every header decodes, else Latin-1."""
    for encoding in ("ascii", "utf-8"):
        try:
            return [(k.decode(encoding), v.decode(encoding)) for k, v in raw]
        except UnicodeDecodeError:
            continue
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _read_body(
    connection: _Connection, method: str, status: int, fields: dict[str, str], keep: bool
) -> tuple[bytes, bool]:
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b"", keep
    encoding = fields.get("transfer-encoding")
    if encoding is not None and encoding.lower().rsplit(",", 1)[-1].strip() == "chunked":
        return _read_chunked(connection), keep
    length = fields.get("content-length")
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
                _skip_trailers(connection)
                return bytes(chunks)
            chunks += connection.exact(size)
            if len(chunks) > MAX_BODY:
                raise WireError(TOO_LARGE)
            connection.line()  # the CRLF after the chunk
    except EOFError:
        raise WireError("peer closed connection without sending complete message body") from None


def _decode(body: bytes, fields: dict[str, str]) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate; others are left as they are, as httpx
    does)."""
    value = fields.get("content-encoding")
    if not value or not body:
        return body
    import zlib

    for coding in reversed([c.strip().lower() for c in value.split(",")]):
        try:
            if coding in ("gzip", "x-gzip"):
                body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body, MAX_BODY + 1)
            elif coding == "deflate":
                try:
                    body = zlib.decompressobj().decompress(body, MAX_BODY + 1)
                except zlib.error:
                    body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, MAX_BODY + 1)
            if len(body) > MAX_BODY:  # a small body that expands without end
                raise WireError(TOO_LARGE)
        except zlib.error as exc:
            raise WireError(f"cannot decode the {coding} body: {exc}") from None
    return body
