"""Private alert plumbing for ``alert_observed``: event matching, a JSONL tail, a webhook sink.

Kept apart so that other squall parts (the demo detector, tests) can reuse the same matching
rules: keys are dotted paths into the event, a list value means "any of".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from squall import ActivityFailed
from squall.drivers._safety import connect_address

__all__: list[str] = []

_MISSING = object()


def lookup(event: Any, path: str) -> Any:
    """The value at a dotted ``path`` in nested mappings (or lists, by index), or a marker."""
    value = event
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def event_matches(event: dict[str, Any], match: dict[str, Any]) -> bool:
    """True if every dotted key of ``match`` is in ``event`` with an expected value."""
    for path, expected in match.items():
        value = event[path] if path in event else lookup(event, path)
        if value is _MISSING:
            return False
        choices = expected if isinstance(expected, list) else [expected]
        if value not in choices:
            return False
    return True


def event_time(event: dict[str, Any], path: str) -> float | None:
    """The event's time as epoch seconds (from a number or an ISO 8601 string), or None."""
    value = lookup(event, path)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return when.timestamp()
    return None


class SinkReader:
    """Read complete new lines of a JSONL file, coping with truncation and rotation."""

    def __init__(self, path: Path, offset: int) -> None:
        self.path = path
        self.offset = max(0, int(offset))
        self.inode: int | None = None

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                info = os.fstat(handle.fileno())
                if (self.inode is not None and info.st_ino != self.inode) or (
                    info.st_size < self.offset
                ):
                    self.offset = 0  # rotated or truncated: the new content is all new
                self.inode = info.st_ino
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        events = []
        for line in complete.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                events.append(value)
        return events


class Receiver:
    """A loopback webhook receiver collecting JSON bodies while the probe waits."""

    def __init__(self, host: str, port: int) -> None:
        received: list[dict[str, Any]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    value = json.loads(body)
                except ValueError:
                    value = {"body": body.decode(errors="replace")}
                with lock:
                    received.extend(value if isinstance(value, list) else [value])
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            self.server = ThreadingHTTPServer((connect_address(host), port), Handler)
        except OSError as exc:
            raise ActivityFailed(f"cannot listen for webhooks on {host}:{port}: {exc}") from exc
        self.server.daemon_threads = False
        self.received, self.lock = received, lock
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.daemon = True
        self.thread.start()

    def drain(self) -> list[dict[str, Any]]:
        with self.lock:
            events = [e for e in self.received if isinstance(e, dict)]
            self.received.clear()
        return events

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
