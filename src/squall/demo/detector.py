"""The demo's detector: ports, secrets, audit log, certificate expiry and config drift."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from pathlib import Path

from squall.demo.alerts import Alerter
from squall.demo.common import (
    HOST,
    JsonHandler,
    QuietServer,
    iso,
    load_config,
    log,
    parse_state_dir,
    write_json_atomic,
)
from squall.demo.drift import config_findings
from squall.demo.logwatch import AuditWatcher
from squall.demo.scanners import check_certificate, listening_ports, scan_text

__all__ = ["Detector", "main"]

_MAX_FILE = 1 << 20


class Detector:
    """One ``poll`` runs every enabled check; findings are deduplicated and emitted once."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.config = load_config(state_dir)
        self._config_stamp = self._stamp(state_dir / "config.json")
        self.alerter = Alerter(Path(self.config["alerts_file"]), self.config.get("webhook_url"))
        self.baseline_ports = set(listening_ports())
        self.allowed_ports = self._allowed_ports()
        self.alerted_ports: set[int] = set()
        self.secret_stamps: dict[Path, tuple[int, int]] = {}
        self.secrets_alerted: set[tuple[str, str, str]] = set()
        self.cert_alerted: set[tuple[str, str]] = set()
        self.cert_stamp: tuple[str, int, int] | None = None
        self.cert_checked = 0.0
        self.audit = AuditWatcher(Path(self.config["log_file"]), self.config, self.alerter)
        self.polls = 0
        self.last_poll = 0.0

    def _allowed_ports(self) -> set[int]:
        """Ports listening at start, the demo's own and ``port_allowlist``."""
        names = ("api", "auth", "webhook", "detector")
        own = {int(self.config[f"{name}_port"]) for name in names}
        extra = {int(p) for p in self.config.get("port_allowlist", [])}
        return self.baseline_ports | own | extra

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        try:
            st = path.stat()
        except OSError:
            return (0, -1)
        return (st.st_mtime_ns, st.st_size)

    def reload(self) -> None:
        """Re-read the config (on SIGHUP, or when the file changes), reporting risky drift."""
        new = load_config(self.state_dir)
        if self.config.get("detector_watch_config", True):
            for kind, detail, data in config_findings(self.config, new):
                self.alerter.emit(kind, detail, data)
        self.config = new
        self.allowed_ports = self._allowed_ports()
        self.audit.configure(new)

    def poll(self) -> None:
        checks = [
            ("config", self.check_config, True),
            ("ports", self.check_ports, self.config.get("detector_watch_ports", True)),
            ("secrets", self.check_secrets, self.config.get("detector_watch_secrets", True)),
            ("audit", self.audit.poll, self.config.get("detector_watch_audit_log", True)),
            ("cert", self.check_cert, self.config.get("detector_watch_cert", True)),
        ]
        for name, check, enabled in checks:
            if not enabled:
                continue
            try:
                check()
            except Exception as exc:
                log("detector", f"{name} check failed: {exc!r}")
        self.polls += 1
        self.last_poll = time.time()

    def check_config(self) -> None:
        stamp = self._stamp(self.state_dir / "config.json")
        if stamp != self._config_stamp:
            self.reload()
            self._config_stamp = stamp

    def check_ports(self) -> None:
        current = listening_ports()
        self.alerted_ports &= set(current)
        for port in sorted(set(current) - self.allowed_ports - self.alerted_ports):
            self.alerted_ports.add(port)
            addresses = sorted(current[port])
            exposed = any(
                a in ("0.0.0.0", "0000:0000:0000:0000:0000:0000:0000:0000") for a in addresses
            )
            self.alerter.emit(
                "unexpected_port",
                f"unexpected listening TCP port {port} on {', '.join(addresses)}",
                {"port": port, "addresses": addresses, "all_interfaces": exposed},
            )

    def check_secrets(self) -> None:
        root = Path(self.config["secrets_dir"])
        seen: set[Path] = set()
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if not path.is_file() or len(seen) >= 500:
                continue
            seen.add(path)
            stamp = self._stamp(path)
            if self.secret_stamps.get(path) == stamp:
                continue
            self.secret_stamps[path] = stamp
            with path.open("rb") as fh:
                text = fh.read(_MAX_FILE).decode("utf-8", "replace")
            for finding in scan_text(text):
                key = (str(path), finding.pattern, finding.redacted)
                if key in self.secrets_alerted:
                    continue
                self.secrets_alerted.add(key)
                self.alerter.emit(
                    "secret_exposed",
                    f"{finding.pattern} found in {path} line {finding.line}",
                    {
                        "path": str(path),
                        "pattern": finding.pattern,
                        "line": finding.line,
                        "match": finding.redacted,
                    },
                    run_id=finding.run_id,
                )
        for gone in set(self.secret_stamps) - seen:
            del self.secret_stamps[gone]
            self.secrets_alerted = {k for k in self.secrets_alerted if k[0] != str(gone)}

    def check_cert(self) -> None:
        cert_file = Path(self.config["cert_file"])
        st = cert_file.stat()
        stamp = (str(cert_file), st.st_mtime_ns, st.st_size)
        if stamp == self.cert_stamp and time.time() - self.cert_checked < 60:
            return
        self.cert_stamp, self.cert_checked = stamp, time.time()
        ca = self.config.get("ca_file")
        warn_days = float(self.config.get("cert_warn_days", 14))
        at = dt.datetime.now(dt.UTC)
        for finding in check_certificate(cert_file, Path(ca) if ca else None, warn_days, at):
            key = (finding.fingerprint, finding.kind)
            if key in self.cert_alerted:
                continue
            self.cert_alerted.add(key)
            self.alerter.emit(
                finding.kind,
                finding.detail,
                {
                    "cert_file": str(cert_file),
                    "fingerprint": finding.fingerprint,
                    "not_after": finding.not_after,
                },
            )

    def heartbeat(self) -> None:
        ts = time.time()
        write_json_atomic(
            Path(self.config["heartbeat_file"]),
            {
                "time": iso(ts),
                "ts": ts,
                "pid": os.getpid(),
                "polls": self.polls,
                "alerts": self.alerter.count,
            },
        )


class StatusHandler(JsonHandler):
    """``GET /health``: the detector's last poll."""

    server: StatusServer

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/health":
            self.send_json(404, {"error": "not found"})
            return
        d = self.server.detector
        fresh = time.time() - d.last_poll < 5
        self.send_json(
            200 if fresh else 503,
            {
                "status": "ok" if fresh else "stale",
                "component": "detector",
                "polls": d.polls,
                "generation": self.server.generation,
                "last_poll": d.last_poll,
                "alerts": d.alerter.count,
            },
        )


class StatusServer(QuietServer):
    """The detector's status endpoint."""

    component = "detector"

    def __init__(self, detector: Detector, port: int) -> None:
        self.detector = detector
        super().__init__((HOST, port), StatusHandler)


def main(argv: list[str] | None = None) -> None:
    """Entry point: ``python -m squall.demo.detector --state-dir DIR``."""
    state_dir = parse_state_dir("detector", argv)
    detector = Detector(state_dir)
    port = int(detector.config["detector_port"])
    try:
        server = StatusServer(detector, port)
    except OSError as exc:
        log("detector", f"cannot listen on port {port}: {exc}")
        raise SystemExit(1) from exc
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: _safe_reload(detector, server))
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    pidfile = state_dir / "detector.pid"
    detector.poll()
    detector.heartbeat()
    pidfile.write_text(f"{os.getpid()}\n", encoding="utf-8")
    log("detector", f"watching; status on {HOST}:{port}")
    last_beat = time.time()
    try:
        while not stop.wait(float(detector.config.get("detector_poll_seconds", 0.5))):
            detector.poll()
            if time.time() - last_beat >= 1.0:
                detector.heartbeat()
                last_beat = time.time()
    finally:
        server.shutdown()
        server.server_close()
        detector.alerter.close()
        if pidfile.exists() and pidfile.read_text(encoding="utf-8").strip() == str(os.getpid()):
            pidfile.unlink()
        log("detector", "stopped")


def _safe_reload(detector: Detector, server: StatusServer) -> None:
    try:
        detector.reload()
        server.generation += 1
        log("detector", "configuration reloaded")
    except Exception as exc:
        log("detector", f"reload failed: {exc!r}")


if __name__ == "__main__":
    main()
