"""A real HTTP server on loopback whose responses a test sets."""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HeaderValue", "LoopbackHTTPServer", "Response"]


#: Header values: a string, or a list of strings to send the header once per item
#: (two ``Set-Cookie`` headers: ``{"Set-Cookie": ["a=1; Secure", "b=2"]}``).
HeaderValue = str | list[str]


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, HeaderValue] = field(default_factory=dict)


class LoopbackHTTPServer:
    """Serves what ``queue()`` or ``set()`` say for a path (404 otherwise) and records
    the requests."""

    def __init__(self) -> None:
        self.responses: dict[str, Response] = {}
        self.queued: dict[str, list[Response]] = {}
        self.requests: list[dict[str, Any]] = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.host, self.port = "127.0.0.1", int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def set(
        self,
        path: str,
        status: int = 200,
        body: bytes | str = b"",
        headers: dict[str, HeaderValue] | None = None,
    ) -> None:
        """Answer ``path`` with this response; a header whose value is a list is sent once
        per item."""
        self.responses[path] = Response(status, body, dict(headers or {}))

    def queue(self, path: str, *responses: Response | int) -> None:
        """Answer the next requests of ``path`` with these responses, in order (then
        with what ``set()`` gave, or 404): a service that changes during a run."""
        self.queued.setdefault(path, []).extend(
            r if isinstance(r, Response) else Response(r) for r in responses
        )

    def _next(self, path: str) -> Response:
        queued = self.queued.get(path)
        if queued:
            return queued.pop(0)
        return self.responses.get(path, Response(404))

    def start(self) -> LoopbackHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length) if length else b"",
                    }
                )
                response = server._next(self.path.split("?", 1)[0])
                body = response.body.encode() if isinstance(response.body, str) else response.body
                self.send_response(response.status)
                for name, value in response.headers.items():
                    for item in [value] if isinstance(value, str) else value:
                        self.send_header(name, item)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
