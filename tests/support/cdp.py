"""A real headless Chromium driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no port, no websocket library): open a page, read its DOM,
collect console errors and network requests, take screenshots, print to PDF.

Debian's ``chromium`` package; under CI=true the tests that need it fail without it
(.ci/run installs it), elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from squall.report.pdf import CHROMIUM_FLAGS, find_chromium

#: squall's own quiet flags (the ones ``-f pdf`` uses), and the DevTools pipe
FLAGS = [*CHROMIUM_FLAGS, "--remote-debugging-pipe"]

__all__ = ["FLAGS", "Browser", "CdpError", "Page", "find_chromium"]


class CdpError(RuntimeError):
    pass


class Browser:
    """One Chromium process; ``open(url)`` gives a Page. Close it with ``close()``."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="squall-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def fds() -> None:  # the browser reads fd 3 and writes fd 4
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            pass_fds=(3, 4),
        )
        os.close(to_child)
        os.close(from_child)
        self._next = 0
        self._lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _read_loop(self) -> None:
        buffer = b""
        with os.fdopen(self._read, "rb", buffering=0) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    with self._cond:
                        if "id" in message:
                            self._replies[message["id"]] = message
                        else:
                            self._events.append(message)
                        self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        with self._cond:
            ok = self._cond.wait_for(
                lambda: ident in self._replies or self.proc.poll() is not None, timeout=timeout
            )
            reply = self._replies.pop(ident, None)
        if not ok or reply is None:
            raise CdpError(f"no answer to {method} (browser exit {self.proc.poll()})")
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def wait_event(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            return None

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout=timeout):
                raise CdpError(f"no {method} within {timeout} s")
            event = found()
            assert event is not None
            return event

    def events(self, session: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if e.get("sessionId") == session]

    def open(self, url: str, width: int = 1200, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return Page(self, session, target, url)

    def close(self) -> None:
        with contextlib.suppress(CdpError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str, target: str, url: str) -> None:
        self.browser, self.session, self.target, self.url = browser, session, target, url

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors (CSP violations)."""
        found = []
        for event in self.browser.events(self.session):
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params.get('type')}: {params.get('args')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def requests(self) -> list[str]:
        """Every URL the page asked for, the page itself excepted."""
        return [
            e["params"]["request"]["url"]
            for e in self.browser.events(self.session)
            if e.get("method") == "Network.requestWillBeSent"
            and e["params"]["request"]["url"] != self.url
        ]

    def screenshot(self, path: Path, full: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full}
        data = self.browser.send("Page.captureScreenshot", params, session=self.session, timeout=20)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def pdf(self) -> bytes:
        data = self.browser.send("Page.printToPDF", {"printBackground": True}, session=self.session)
        return base64.b64decode(data["data"])

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
