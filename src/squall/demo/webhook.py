"""The demo's webhook receiver: stores each POSTed alert as a JSON line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from squall.demo.common import (
    HOST,
    JsonHandler,
    QuietServer,
    append_jsonl,
    iso,
    load_config,
    log,
    parse_state_dir,
    serve,
)

__all__ = ["main"]


class WebhookHandler(JsonHandler):
    """``POST <any path>`` stores the body; ``GET /alerts`` lists them; ``GET /health``."""

    server: WebhookServer

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/health":
            self.send_json(200, {"status": "ok", "component": "webhook"})
        elif path == "/alerts":
            self.send_json(200, _read_all(self.server.sink))
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, 1 << 20)) if length else b""
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            body = {"raw": raw.decode("utf-8", "replace")}
        record = dict(body) if isinstance(body, dict) else {"value": body}
        received = time.time()
        record["received_time"] = iso(received)
        record["received_ts"] = received
        record["received_path"] = self.path
        append_jsonl(self.server.sink, record)
        self.send_json(202, {"stored": True})


def _read_all(sink: Path) -> list[Any]:
    try:
        lines = sink.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out: list[Any] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


class WebhookServer(QuietServer):
    """The receiver's HTTP server; ``sink`` is the JSONL file."""

    component = "webhook"

    def __init__(self, sink: Path, port: int) -> None:
        self.sink = sink
        super().__init__((HOST, port), WebhookHandler)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m squall.demo.webhook --state-dir DIR``."""
    state_dir = parse_state_dir("webhook", argv)
    config = load_config(state_dir)
    try:
        server = WebhookServer(Path(config["webhook_file"]), int(config["webhook_port"]))
    except OSError as exc:
        log("webhook", f"cannot listen on port {config['webhook_port']}: {exc}")
        raise SystemExit(1) from exc
    serve(server, "webhook", state_dir)


if __name__ == "__main__":
    main()
