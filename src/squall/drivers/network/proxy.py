"""A fault-injecting TCP proxy on loopback (Toxiproxy style), run as a squall daemon.

    python -m squall.drivers.network.proxy --label L --log-file F \\
        --listen-host 127.0.0.1 --listen-port 0 --upstream-host 127.0.0.1 --upstream-port P \\
        --control-file C --status-file S [--max-lifetime 3600]

Faults (see :class:`Faults`) are read from the control file, a JSON object
``{"version": n, "faults": {...}}`` that the proxy polls every 50 ms; after applying a new
version it writes ``{"version": n, ...counters}`` to the status file, which is how
``set_proxy_faults`` knows the change is live. Faults apply to every chunk read after the
change, on new and existing connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import struct
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from squall import show_value

__all__: list[str] = []  # a daemon entry point: no activities here (Faults is internal)

DIRECTIONS = ("downstream", "upstream", "both")
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Faults:
    """The faults a proxy applies; all zero/false is a plain pass-through.

    - ``latency_ms``/``jitter_ms``: delay each chunk by latency ± uniform jitter.
    - ``drop_probability``: drop a chunk (its bytes never arrive; the stream is corrupted,
      which is what loss looks like above TCP).
    - ``close_probability``: close the connection (both ends, a clean FIN) instead of
      forwarding a chunk: a connection lost mid-stream.
    - ``reset_probability``: reset a new connection at once (TCP RST) with this probability.
    - ``bandwidth_bytes_per_second``: limit throughput (0: unlimited).
    - ``blackhole``: accept connections, read and discard everything, never answer.
    - ``direction``: where chunk faults apply: ``downstream`` (upstream → client, the
      default), ``upstream`` (client → upstream) or ``both``.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    drop_probability: float = 0.0
    close_probability: float = 0.0
    reset_probability: float = 0.0
    bandwidth_bytes_per_second: int = 0
    blackhole: bool = False
    direction: str = "downstream"

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Faults:
        """Validated faults; ``ValueError`` names the bad field."""
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            noun = "fault" if len(unknown) == 1 else "faults"
            raise ValueError(
                f"unknown {noun}: {show_value(sorted(unknown))}; known: {show_value(sorted(known))}"
            )
        faults = cls(**dict(raw))
        for name in ("latency_ms", "jitter_ms", "bandwidth_bytes_per_second"):
            value = getattr(faults, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {show_value(value)}")
        for name in ("drop_probability", "close_probability", "reset_probability"):
            value = getattr(faults, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {show_value(value)}")
        if not isinstance(faults.blackhole, bool):
            raise ValueError(f"blackhole must be true or false, got {show_value(faults.blackhole)}")
        if faults.direction not in DIRECTIONS:
            raise ValueError(
                f"direction must be one of {show_value(list(DIRECTIONS))}, "
                f"got {show_value(faults.direction)}"
            )
        return faults

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Cut(Exception):
    """A chunk fault asked to close the connection."""


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Proxy:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.faults = Faults()
        self.version = -1
        self.connections = 0
        self.active = 0
        self.bytes = {"upstream": 0, "downstream": 0}
        self.control = Path(args.control_file)
        self.status = Path(args.status_file)

    def poll_control(self) -> bool:
        try:
            raw = json.loads(self.control.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        version = int(raw.get("version", 0))
        if version == self.version:
            return False
        try:
            self.faults = Faults.from_mapping(raw.get("faults") or {})
        except (TypeError, ValueError) as exc:
            print(f"ignoring control version {version}: {exc}", file=sys.stderr, flush=True)
        self.version = version
        return True

    def write_status(self) -> None:
        status = {
            "version": self.version,
            "label": self.args.label,
            "faults": self.faults.to_json(),
            "connections": self.connections,
            "active": self.active,
            "bytes": self.bytes,
        }
        tmp = self.status.with_name(self.status.name + ".tmp")
        tmp.write_text(json.dumps(status), encoding="utf-8")
        os.replace(tmp, self.status)

    async def watch(self) -> None:
        last = 0.0
        while True:
            changed = self.poll_control()
            if changed or time.monotonic() - last > 1.0:
                self.write_status()
                last = time.monotonic()
            await asyncio.sleep(0.05)

    async def pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        while True:
            faults = self.faults
            size = _CHUNK
            if faults.bandwidth_bytes_per_second:
                size = max(1, min(_CHUNK, int(faults.bandwidth_bytes_per_second) // 10))
            data = await reader.read(size)
            if not data:
                if writer.can_write_eof():
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                return
            faults = self.faults
            if faults.blackhole:
                continue
            if faults.direction in (direction, "both"):
                delay = faults.latency_ms + random.uniform(-faults.jitter_ms, faults.jitter_ms)
                if delay > 0:
                    await asyncio.sleep(delay / 1000)
                if faults.drop_probability and random.random() < faults.drop_probability:
                    continue
                if faults.close_probability and random.random() < faults.close_probability:
                    raise _Cut
                if faults.bandwidth_bytes_per_second:
                    await asyncio.sleep(len(data) / faults.bandwidth_bytes_per_second)
            writer.write(data)
            await writer.drain()
            self.bytes[direction] += len(data)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.active += 1
        try:
            faults = self.faults
            if faults.blackhole:
                while await reader.read(_CHUNK):
                    pass
                writer.close()
                return
            if faults.reset_probability and random.random() < faults.reset_probability:
                _reset(writer)
                return
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(self.args.upstream_host, self.args.upstream_port), 10
                )
            except (OSError, TimeoutError):
                _reset(writer)
                return
            tasks = [
                asyncio.ensure_future(self.pump(reader, up_writer, "upstream")),
                asyncio.ensure_future(self.pump(up_reader, writer, "downstream")),
            ]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            failed = [r for r in results if isinstance(r, Exception) and not isinstance(r, _Cut)]
            for end in (writer, up_writer):
                if failed:
                    _reset(end)
                else:
                    end.close()
        finally:
            self.active -= 1

    async def serve(self, sock: socket.socket) -> None:
        self.poll_control()
        self.write_status()
        server = await asyncio.start_server(self.handle, sock=sock)
        watcher = asyncio.ensure_future(self.watch())
        async with server:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.serve_forever(), self.args.max_lifetime)
        watcher.cancel()


def main(argv: list[str] | None = None) -> None:
    from squall.drivers.host._daemon import daemonize

    parser = argparse.ArgumentParser(prog="python -m squall.drivers.network.proxy")
    parser.add_argument("--label", required=True)
    parser.add_argument("--log-file")
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--listen-port", type=int, default=0)
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--control-file", required=True)
    parser.add_argument("--status-file", required=True)
    parser.add_argument("--max-lifetime", type=float, default=3600.0)
    args = parser.parse_args(argv)
    family = socket.AF_INET6 if ":" in args.listen_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.listen_host, args.listen_port))
    except OSError as exc:
        raise SystemExit(f"cannot listen on {args.listen_host}:{args.listen_port}: {exc}") from exc
    sock.listen(128)
    proxy = Proxy(args)
    if not proxy.control.exists():
        raise SystemExit(f"control file {proxy.control} does not exist")
    host, port = sock.getsockname()[:2]
    daemonize({"listen_host": host, "listen_port": port}, args.log_file)
    asyncio.run(proxy.serve(sock))


if __name__ == "__main__":
    main()
