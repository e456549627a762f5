"""Small servers run as squall daemons: an unexpected-port listener and an HTTPS impostor.

    python -m squall.drivers.network.servers listener --label L --host H --port P
    python -m squall.drivers.network.servers impostor --label L --host H --port P \\
        --cert C --key K --spec SPEC.json

Both bind before daemonizing (so a busy port fails the action at once), carry the label
(with the run id) in what they send, and exit after ``--max-lifetime`` seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__: list[str] = []


def _listener(args: argparse.Namespace) -> None:
    from squall.drivers.host._daemon import daemonize

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {exc}") from exc
    sock.listen(16)
    host, port = sock.getsockname()[:2]
    daemonize({"host": host, "port": port}, args.log_file)
    banner = f"squall unexpected port; {args.label}\r\n".encode()
    deadline = time.monotonic() + args.max_lifetime
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(min(remaining, 1.0))
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            continue
        with conn, contextlib.suppress(OSError):
            conn.settimeout(1.0)
            conn.sendall(banner)


class _Impostor(ThreadingHTTPServer):
    daemon_threads = True
    context: ssl.SSLContext
    spec: dict[str, Any]
    label: str

    def handle_error(self, request: Any, client_address: Any) -> None:
        print(f"error with {client_address}: {sys.exc_info()[1]!r}", file=sys.stderr, flush=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Impostor
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request = self.server.context.wrap_socket(self.request, server_side=True)
        super().setup()

    def version_string(self) -> str:
        return f"squall-impostor ({self.server.label})"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        spec = self.server.spec
        body = str(spec.get("body", "")).encode()
        self.send_response(int(spec.get("status", 200)))
        self.send_header("Content-Type", str(spec.get("content_type", "text/plain")))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Squall-Run-Id", str(spec.get("run_id", "")))
        self.send_header("X-Squall-Label", self.server.label)
        for key, value in dict(spec.get("headers") or {}).items():
            self.send_header(str(key), str(value))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{self.address_string()} {format % args}", file=sys.stderr, flush=True)


def _impostor(args: argparse.Namespace) -> None:
    from squall.drivers.host._daemon import daemonize

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(args.cert, args.key)
        with open(args.spec, encoding="utf-8") as handle:
            spec = json.load(handle)
    except (OSError, ValueError, ssl.SSLError) as exc:
        raise SystemExit(f"cannot set up the impostor: {exc}") from exc
    _Impostor.address_family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    try:
        server = _Impostor((args.host, args.port), _Handler)
    except OSError as exc:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {exc}") from exc
    server.context, server.spec, server.label = context, spec, args.label
    host, port = server.server_address[:2]
    daemonize({"host": host, "port": port}, args.log_file)
    timer = threading.Timer(args.max_lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever(poll_interval=0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m squall.drivers.network.servers")
    parser.add_argument("kind", choices=["listener", "impostor"])
    parser.add_argument("--label", required=True)
    parser.add_argument("--log-file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-lifetime", type=float, default=3600.0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--spec")
    args = parser.parse_args(argv)
    if args.kind == "listener":
        _listener(args)
    else:
        _impostor(args)


if __name__ == "__main__":
    main()
