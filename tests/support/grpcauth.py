"""A gRPC server front that checks an API key, for tests, in a process of its own.

The Temporal dev server accepts any API key, so this stands in front of it on
127.0.0.1:<free port> (plaintext HTTP/2, as gRPC without TLS), reads the HTTP/2 header
blocks each client sends (HPACK-decoded with the ``hpack`` library) and records their
``authorization`` values, one a line, in a file. A connection whose first request carries
``authorization: Bearer <the expected key>`` is piped to the upstream server unchanged;
any other gets, for every request, the answer a server that checks keys gives: gRPC
status 16 (UNAUTHENTICATED), and nothing reaches the upstream.

Run as ``python grpcauth.py UPSTREAM EXPECTED_KEY RECORD_FILE``: prints the port, then
serves until killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

from tlsproxy import close_process, pipe_copy

__all__ = ["AuthFront"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, PRIORITY_FLAG, PADDED, END_STREAM, END_HEADERS = 0x1, 0x20, 0x8, 0x1, 0x4
SETTINGS, PING, CONTINUATION, ACK = 0x4, 0x6, 0x9, 0x1


class AuthFront:
    """The front process; ``port`` is where it listens, ``seen()`` the keys it got."""

    def __init__(self, upstream: str, expected: str, record: Path) -> None:
        self.record = record
        self.process = subprocess.Popen(
            [sys.executable, __file__, upstream, expected, str(record)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip().isdigit(), f"the gRPC auth front did not start: {line!r}"
        self.port = int(line)

    def seen(self) -> list[str]:
        """The ``authorization`` values received, in order."""
        return self.record.read_text().splitlines() if self.record.exists() else []

    def close(self) -> None:
        close_process(self.process)


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream)
        + payload
    )


async def _read_frame(reader: asyncio.StreamReader) -> tuple[bytes, int, int, int, bytes]:
    """(raw bytes, type, flags, stream id, payload) of the next frame."""
    head = await reader.readexactly(9)
    length = int.from_bytes(head[:3], "big")
    payload = await reader.readexactly(length)
    stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
    return head + payload, head[3], head[4], stream, payload


def _block(flags: int, payload: bytes) -> bytes:
    """The header block fragment of a HEADERS frame (padding and priority removed)."""
    start, end = 0, len(payload)
    if flags & PADDED:
        start, end = 1, len(payload) - payload[0]
    if flags & PRIORITY_FLAG:
        start += 5
    return payload[start:end]


class _Connection:
    def __init__(self, upstream: str, expected: str, record: Path) -> None:
        import hpack

        self.upstream = upstream
        self.expected = f"Bearer {expected}"
        self.record = record
        self.decoder = hpack.Decoder()
        self.encoder = hpack.Encoder()
        self.pending: dict[int, bytearray] = {}

    def _headers(self, stream: int, fragment: bytes, done: bool) -> dict[str, str] | None:
        """The request's headers once its block is complete (CONTINUATION frames too)."""
        block = self.pending.setdefault(stream, bytearray())
        block += fragment
        if not done:
            return None
        del self.pending[stream]
        decoded = self.decoder.decode(bytes(block), raw=False)
        headers = {str(k).lower(): str(v) for k, v in decoded}
        with self.record.open("a") as sink:
            sink.write(headers.get("authorization", "(none)") + "\n")
        return headers

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        preface = await reader.readexactly(len(PREFACE))
        assert preface == PREFACE, preface
        seen = bytearray(preface)
        while True:  # until the first request's headers say who it is
            raw, kind, flags, stream, payload = await _read_frame(reader)
            seen += raw
            if kind in (HEADERS, CONTINUATION):
                fragment = _block(flags, payload) if kind == HEADERS else payload
                headers = self._headers(stream, fragment, bool(flags & END_HEADERS))
                if headers is not None:
                    break
        if headers.get("authorization") == self.expected:
            await self._pipe(bytes(seen), reader, writer)
        else:
            await self._refuse(stream, reader, writer)

    async def _pipe(
        self, seen: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = self.upstream.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        up_writer.write(seen)

        async def client_to_server() -> None:
            with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
                while True:
                    raw, kind, flags, stream, payload = await _read_frame(reader)
                    if kind in (HEADERS, CONTINUATION):  # recorded, keeps the decoder in step
                        fragment = _block(flags, payload) if kind == HEADERS else payload
                        self._headers(stream, fragment, bool(flags & END_HEADERS))
                    up_writer.write(raw)
                    await up_writer.drain()
            with contextlib.suppress(OSError, RuntimeError):
                up_writer.close()

        await asyncio.gather(client_to_server(), pipe_copy(up_reader, writer))

    async def _refuse(
        self, stream: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(_frame(SETTINGS, 0, 0))
        writer.write(_frame(SETTINGS, ACK, 0))
        self._unauthenticated(stream, writer)
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            while True:
                _, kind, flags, stream, payload = await _read_frame(reader)
                if kind in (HEADERS, CONTINUATION):
                    fragment = _block(flags, payload) if kind == HEADERS else payload
                    if self._headers(stream, fragment, bool(flags & END_HEADERS)) is not None:
                        self._unauthenticated(stream, writer)
                elif kind == PING and not flags & ACK:
                    writer.write(_frame(PING, ACK, 0, payload))
                await writer.drain()
        writer.close()

    def _unauthenticated(self, stream: int, writer: asyncio.StreamWriter) -> None:
        block = self.encoder.encode(
            [
                (":status", "200"),
                ("content-type", "application/grpc"),
                ("grpc-status", "16"),
                ("grpc-message", "the API key is missing or wrong"),
            ]
        )
        writer.write(_frame(HEADERS, END_HEADERS | END_STREAM, stream, block))


async def _serve(upstream: str, expected: str, record: Path) -> None:
    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            await _Connection(upstream, expected, record).serve(reader, writer)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(accept, sock=listener)
    print(listener.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main(upstream: str, expected: str, record: str) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_serve(upstream, expected, Path(record)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
