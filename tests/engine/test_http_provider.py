"""The http provider against a real server on loopback (plain HTTP and HTTPS)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from squall import run_experiment
from squall.drivers.security._pki import make_authority, make_leaf
from squall.engine import RunOptions
from squall.experiment import parse_experiment

from sqharness import EXAMPLES


def test_get_query_post_json_form_and_404(http_server: Any) -> None:
    journal = run_experiment(
        EXAMPLES / "http.json", run_options=RunOptions(overrides={"base": http_server.url})
    )
    assert journal.outcome is not None and journal.outcome.value == "held"
    by_name = {r.name: r for r in journal.run}
    # the same bytes as the Chaos Toolkit (requests' json=): default separators
    assert by_name["post-json"].output["body"]["body"] == '{"a": 1}'
    assert by_name["post-json"].output["body"]["content_type"] == "application/json"
    assert by_name["post-form"].output["body"]["body"] == "a=1"
    missing = by_name["not-found-is-not-a-failure"]
    assert missing.status.value == "succeeded" and missing.output["status"] == 404
    assert journal.before is not None and journal.before.probes[0].output["body"] == "ok"


def test_connection_refused_is_a_failed_activity() -> None:
    journal = run_experiment(
        EXAMPLES / "http.json", run_options=RunOptions(overrides={"base": "http://127.0.0.1:9"})
    )
    assert journal.outcome is not None and journal.outcome.value == "not-run"
    assert journal.before is not None and journal.before.probes[0].status.value == "failed"


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _https_server(tmp_path: Path, handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """``https://127.0.0.1:PORT`` served by ``handler`` with a generated certificate."""
    authority = make_authority()
    cert, key = make_leaf(authority, ["127.0.0.1"]).write(tmp_path / "c.pem", tmp_path / "k.pem")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    for url in _https_server(tmp_path, _Hello):
        yield f"{url}/"


def _probe(url: str, verify: bool) -> dict[str, Any]:
    return {
        "title": "tls",
        "description": "d",
        "method": [
            {
                "type": "probe",
                "name": "get",
                "provider": {"type": "http", "url": url, "verify_tls": verify},
            }
        ],
    }


def test_verify_tls_refuses_an_unknown_ca_and_can_be_disabled(https_url: str) -> None:
    refused = run_experiment(parse_experiment(_probe(https_url, True)))
    assert refused.run[0] is not None and refused.run[0].status.value == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in refused.run[0].reason
    accepted = run_experiment(parse_experiment(_probe(https_url, False)))
    assert accepted.run[0] is not None and accepted.run[0].output["body"] == "hello"
    assert json.dumps(accepted.run[0].output)


class _Headers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Request-ID", "r-1")
        self.send_header("set-cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_header_names_keep_the_servers_case_and_repeats_are_joined() -> None:
    """As the reference (requests) returns them: a tolerance on ``$["Content-Type"]``
    with target ``headers`` holds under both engines."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Headers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        doc = _probe(url, True)
        doc["method"][0]["tolerance"] = {
            "type": "jsonpath",
            "path": '$["Content-Type"]',
            "expect": "text/plain",
            "target": "headers",
        }
        doc["steady-state-hypothesis"] = {"title": "h", "probes": [doc["method"][0]]}
        journal = run_experiment(parse_experiment(doc))
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert journal.outcome is not None and journal.outcome.value == "held"
    headers = journal.run[0].output["headers"] if journal.run[0] else {}
    assert headers["Content-Type"] == "text/plain"
    assert headers["X-Request-ID"] == "r-1"
    assert headers["set-cookie"] == "a=1, b=2"  # the first spelling names a repeated header
    assert "content-type" not in headers


class _Streams(BaseHTTPRequestHandler):
    """``/endless``: a body without end; ``/trickle``: one byte every 0.2 s for 2 min."""

    def do_GET(self) -> None:
        import time

        self.send_response(200)
        self.end_headers()  # no length: the body ends when the connection does
        try:
            if self.path == "/endless":
                while True:
                    self.wfile.write(b"e" * 65536)
            for _ in range(600):
                self.wfile.write(b"t")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def https_streams(tmp_path: Path) -> Iterator[str]:
    yield from _https_server(tmp_path, _Streams)


def _https_output(url: str, timeout: float) -> Any:
    from squall.experiment.model import HttpSpec
    from squall.providers.base import Call
    from squall.providers.http import HttpProvider

    provider = HttpProvider()
    try:
        spec = HttpSpec(url=url, timeout=timeout, verify_tls=False)
        return provider.run(spec, Call(name="p", variables={}))
    finally:
        provider.close()


def test_an_endless_https_body_stops_at_the_body_limit(https_streams: str) -> None:
    """The httpx path (TLS) bounds a body as the plain path does (test_http_endless)."""
    from squall.errors import ActivityFailed

    with pytest.raises(ActivityFailed, match="larger than 64 MiB"):
        _https_output(f"{https_streams}/endless", 60)


def test_an_https_body_that_trickles_in_ends_at_the_timeout(https_streams: str) -> None:
    import time

    from squall.errors import ActivityTimeout

    started = time.monotonic()
    with pytest.raises(ActivityTimeout, match="timed out"):
        _https_output(f"{https_streams}/trickle", 1)
    assert time.monotonic() - started < 20
