"""Tail the API's audit log for brute-force bursts, auth bypass and tampering with the log."""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

from squall.demo.alerts import Alerter

__all__ = ["AuditWatcher"]

_BYPASS_COOLDOWN = 5.0


class AuditWatcher:
    """Reads new complete lines each poll; starts at the end of the existing log."""

    def __init__(self, path: Path, config: dict[str, Any], alerter: Alerter) -> None:
        self.alerter = alerter
        self.path = path
        self.inode, self.offset = self._position()
        self.partial = b""
        self.missing_alerted = False
        self.failures: dict[str, collections.deque[float]] = {}
        self.brute_alerted: dict[str, float] = {}
        self.bypass_alerted: dict[str, float] = {}
        self.configure(config)

    def configure(self, config: dict[str, Any]) -> None:
        self.threshold = int(config.get("brute_force_threshold", 10))
        self.window = float(config.get("brute_force_window_seconds", 60))
        path = Path(config["log_file"])
        if path != self.path:
            self.path = path
            self.inode, self.offset = self._position()
            self.partial = b""

    def _position(self) -> tuple[int, int]:
        try:
            st = self.path.stat()
        except OSError:
            return (0, 0)
        return (st.st_ino, st.st_size)

    def poll(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            if not self.missing_alerted and self.inode:
                self.missing_alerted = True
                self.alerter.emit(
                    "audit_log_missing", f"audit log {self.path} is gone", {"path": str(self.path)}
                )
            self.inode, self.offset = 0, 0
            return
        self.missing_alerted = False
        if st.st_ino != self.inode:
            self.inode, self.offset, self.partial = st.st_ino, 0, b""
        elif st.st_size < self.offset:
            self.alerter.emit(
                "audit_log_truncated",
                f"audit log {self.path} shrank from {self.offset} to {st.st_size} bytes",
                {"path": str(self.path), "old_size": self.offset, "new_size": st.st_size},
            )
            self.offset, self.partial = 0, b""
        if st.st_size == self.offset:
            return
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            chunk = fh.read(1 << 20)
        self.offset += len(chunk)
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                self._inspect(record)

    def _inspect(self, record: dict[str, Any]) -> None:
        path, status = str(record.get("path", "")), int(record.get("status") or 0)
        if path == "/login" and record.get("event") in ("login_failed", "rate_limited"):
            self._failed_login(record)
        protected = path.startswith("/api") and record.get("method") != "OPTIONS"
        if protected and 200 <= status < 300 and record.get("user") is None:
            mode = str(record.get("auth", "unknown"))
            current = time.time()
            if current - self.bypass_alerted.get(mode, 0.0) >= _BYPASS_COOLDOWN:
                self.bypass_alerted[mode] = current
                self.alerter.emit(
                    "auth_bypass",
                    f"{record.get('method')} {path} answered {status} without an authenticated "
                    f"user (auth: {mode}) for {record.get('client')}",
                    {"path": path, "status": status, "auth": mode, "client": record.get("client")},
                    run_id=record.get("run_id"),
                )

    def _failed_login(self, record: dict[str, Any]) -> None:
        client = str(record.get("client"))
        ts = float(record.get("ts") or time.time())
        window = self.failures.setdefault(client, collections.deque())
        window.append(ts)
        while window and window[0] < ts - self.window:
            window.popleft()
        # one alert per attack: per client and run id (an experiment run again within the
        # window is a new attack and gets its own alert, tied to its own run)
        key = f"{client} {record.get('run_id')}"
        if len(window) < self.threshold or ts - self.brute_alerted.get(key, -1e18) < self.window:
            return
        self.brute_alerted = {k: t for k, t in self.brute_alerted.items() if ts - t < self.window}
        self.brute_alerted[key] = ts
        self.alerter.emit(
            "brute_force",
            f"{len(window)} failed logins from {client} within {self.window:g} s",
            {
                "client": client,
                "failures": len(window),
                "window_seconds": self.window,
                "user": record.get("user"),
            },
            run_id=record.get("run_id"),
        )
