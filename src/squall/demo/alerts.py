"""The detector's alert sink: a JSONL file, and a webhook POST from a background sender."""

from __future__ import annotations

import queue
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from squall.demo.common import append_jsonl, iso, log

__all__ = ["Alerter"]

SOURCE = "squall-demo-detector"


class Alerter:
    """``emit`` writes the alert line at once and queues it for the webhook."""

    def __init__(self, alerts_file: Path, webhook_url: str | None) -> None:
        self.alerts_file = alerts_file
        self.webhook_url = webhook_url
        self.count = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._send_loop, name="webhook", daemon=True)
        self._thread.start()

    def emit(
        self, kind: str, detail: str, data: dict[str, Any] | None = None, run_id: str | None = None
    ) -> dict[str, Any]:
        ts = time.time()
        alert: dict[str, Any] = {
            "id": secrets.token_hex(6),
            "time": iso(ts),
            "ts": ts,
            "kind": kind,
            "detail": detail,
            "run_id": run_id,
            "data": data or {},
            "source": SOURCE,
        }
        try:
            append_jsonl(self.alerts_file, alert)
        except OSError as exc:
            log("detector", f"cannot write alert {kind}: {exc!r}")
        self.count += 1
        log("detector", f"alert {kind}: {detail}")
        if self.webhook_url:
            self._queue.put(alert)
        return alert

    def _send_loop(self) -> None:
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while (alert := self._queue.get()) is not None:
                for attempt in range(3):
                    try:
                        client.post(str(self.webhook_url), json=alert).raise_for_status()
                        break
                    except httpx.HTTPError as exc:
                        if attempt == 2:
                            log("detector", f"webhook delivery of {alert['id']} failed: {exc!r}")
                        time.sleep(0.2 * (attempt + 1))

    def close(self, timeout: float = 3.0) -> None:
        """Deliver what is queued (bounded by ``timeout``), then stop the sender."""
        self._queue.put(None)
        self._thread.join(timeout)
