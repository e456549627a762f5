"""Shared test helpers (importable as ``harness``: tests/support is on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
EXAMPLES = TESTS / "examples"
SUPPORT = TESTS / "support"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env.pop("SQUALL_RUN_ID", None)
    env.update(extra)
    return env


class CliResult:
    def __init__(self, code: int, stdout: str, stderr: str, journal: dict[str, Any] | None) -> None:
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.journal = journal


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = (json.dumps(body) if content_type == "application/json" else str(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.server.requests.append((self.command, self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        if url.path == "/health":
            self._send(200, "ok", "text/plain")
        elif url.path == "/echo":
            self._send(
                200,
                {
                    "method": self.command,
                    "query": parse_qs(url.query),
                    "body": body,
                    "content_type": self.headers.get("Content-Type"),
                },
            )
        elif url.path == "/slow":
            time.sleep(float(parse_qs(url.query).get("s", ["2"])[0]))
            self._send(200, "slow", "text/plain")
        elif url.path == "/flaky":
            self._flaky(self.path, parse_qs(url.query))
        elif url.path == "/experiment.json":
            auth = self.headers.get("Authorization")
            if self.server.token and auth != f"Bearer {self.server.token}":  # type: ignore[attr-defined]
                self._send(401, {"error": "unauthorised"})
                return
            self._send(200, json.loads((EXAMPLES / "trivial.json").read_text()))
        elif url.path in self.server.files:  # type: ignore[attr-defined]
            content_type, text = self.server.files[url.path]  # type: ignore[attr-defined]
            self._send(200, text, content_type)
        elif url.path == "/experiment.yaml":
            self._send(200, (EXAMPLES / "trivial.yaml").read_text(), "application/x-yaml")
        else:
            self._send(404, {"error": "not found"})

    def _flaky(self, path: str, query: dict[str, list[str]]) -> None:
        """``/flaky?fail=N`` answers 503 (``&drop=1``: closes the connection without an
        answer) to its first N requests, then 200; ``/flaky?after=S`` does so until S
        seconds after its first request. Each distinct query string counts on its own."""
        server: Any = self.server
        hits = sum(1 for r in server.requests if r[1] == path)
        first = server.first_hit.setdefault(path, time.monotonic())
        if "after" in query:
            failing = time.monotonic() - first < float(query["after"][0])
        else:
            failing = hits <= int(query.get("fail", ["2"])[0])
        if failing and "drop" in query:
            self.close_connection = True
            return
        if failing:
            self._send(503, {"ready": False, "hits": hits})
        else:
            self._send(200, {"ready": True, "hits": hits})

    do_GET = do_POST = do_PUT = do_DELETE = _route


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (e.g. on a timeout test) is expected; print nothing."""


class LocalServer:
    def __init__(self) -> None:
        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.httpd.token = None  # type: ignore[attr-defined]
        # extra documents to serve: path -> (content type, text)
        self.httpd.files = {}  # type: ignore[attr-defined]
        self.httpd.first_hit = {}  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, text: str, content_type: str) -> None:
        """Serve ``text`` at ``path`` (e.g. an experiment to load by URL)."""
        self.httpd.files[path] = (content_type, text)  # type: ignore[attr-defined]

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str], str]]:
        return self.httpd.requests  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def run_argv(journal: Path, source: str | Path, *extra: str) -> list[str]:
    """``squall run --no-history --journal-path JOURNAL SOURCE EXTRA...`` as argv."""
    import sys

    return [
        sys.executable, "-m", "squall", "run", "--no-history", "--journal-path", str(journal),
        str(source), *extra,
    ]  # fmt: skip


def catches(pid: int, sig: int) -> bool:
    """Whether process ``pid`` handles signal ``sig`` already (its /proc status)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    except OSError:
        pass
    return False


def shape_line(text: str) -> str:
    """A console line with its run ids, times and absolute paths made generic."""
    import re

    text = re.sub(r"\b[0-9a-f]{12}\b", "RUN", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+", "TIME", text)
    return re.sub(r"/\S+/", "/PATH/", text)


def documented_line(page: str, start: str) -> str:
    """The first line of docs/``page`` that starts with ``start``, made generic."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return shape_line(next(line for line in text.splitlines() if line.startswith(start)))


def run_streams() -> list[Path]:
    """The event streams in this test's recovery directory (runs not finished)."""
    return sorted(Path(os.environ["SQUALL_RECOVERY_DIR"]).glob("*.events.jsonl"))


def start_run(
    tmp_path: Path,
    experiment: str,
    *extra: str,
    new_session: bool = False,
    marker: str = "method-started",
) -> tuple[Any, Path, Path]:
    """Start ``squall run`` on an example that logs ``marker`` (by default
    ``method-started``) to ``${log}``; return (process, journal path, log path) once it
    has logged it."""
    import signal
    import subprocess
    import sys

    journal, log = tmp_path / "journal.json", tmp_path / "log.txt"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "squall",
            "--settings",
            str(tmp_path / "s.yaml"),
            "run",
            "--journal-path",
            str(journal),
            str(EXAMPLES / experiment),
            "--var",
            f"log={log}",
            *extra,
        ],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
        # a child of a non-interactive shell may inherit SIGINT as ignored: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 15
    while not (log.exists() and marker in log.read_text()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"the run did not log {marker!r}"
        time.sleep(0.02)
    time.sleep(0.2)
    return proc, journal, log


def run_squall(
    *args: str, cwd: Path | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m squall ARGS`` in a subprocess (tests/support on its path, ``env``
    added to its environment)."""
    return subprocess.run(
        [sys.executable, "-m", "squall", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(**env),
        cwd=cwd,
        check=False,
        timeout=timeout,
    )


def start_in(cwd: Path, *args: str) -> subprocess.Popen[str]:
    """``python -m squall ARGS`` started in ``cwd`` (its recovery directory there, ``cwd``
    first on the python path: a test's own modules), its output piped."""
    env = subprocess_env(SQUALL_RECOVERY_DIR=str(cwd / "recovery"))
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), env["PYTHONPATH"]])
    return subprocess.Popen(
        [sys.executable, "-m", "squall", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
