"""A TLS-terminating TCP proxy for tests, in a process of its own: TLS (ALPN h2, a client
certificate signed by the given CA required) on 127.0.0.1:<free port>, each connection
piped in plaintext to an upstream address. Stands in front of servers that speak only
plaintext (the Temporal dev server) to test TLS and mTLS clients for real.

Run as ``python tlsproxy.py UPSTREAM CERT KEY CLIENT_CA``: prints the port, then serves
until killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

__all__ = ["TlsProxy", "close_process", "pipe_copy"]


class TlsProxy:
    """The proxy process; ``port`` is where it listens."""

    def __init__(self, upstream: str, cert: Path, key: Path, client_ca: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, upstream, str(cert), str(key), str(client_ca)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip().isdigit(), f"the TLS proxy did not start: {line!r}"
        self.port = int(line)

    def close(self) -> None:
        close_process(self.process)


def close_process(process: subprocess.Popen[str]) -> None:
    """Stop a proxy process (SIGTERM, then SIGKILL) and close its output."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


async def pipe_copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    with contextlib.suppress(OSError, RuntimeError):
        sink.close()


async def _serve(upstream: str, context: ssl.SSLContext) -> None:
    host, _, port = upstream.rpartition(":")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe_copy(reader, up_writer), pipe_copy(up_reader, writer))

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(pipe, sock=listener, ssl=context)
    print(listener.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main(upstream: str, cert: str, key: str, client_ca: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=client_ca)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asyncio.run(_serve(upstream, context))


if __name__ == "__main__":
    main(*sys.argv[1:5])
