"""A webhook's URL is a credential (Slack, Teams and Discord put the token in the path;
others in the query): it never reaches the console, the log file or ``settings show``.

Found: a notification that failed printed its whole URL ("notification run-started to
http://.../services/T0001/B0002/HOOK... failed"), and so did the error text of an HTTP
error status (httpx quotes the URL) and ``squall settings show``: in a CI log, that is
the webhook's token.

Now the URL of each http channel (and each credential-like header) is a secret for the
masking layer, and messages name a channel by its scheme and host (``http://host:port/…``).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import yaml

from sqharness import EXAMPLES, LocalServer

TOKENS = ("HOOKtok3n7f3a", "QUERYtok3n9c1d", "HDRtok3n2b4e")


def test_a_failed_webhook_never_shows_its_token(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    channels = [
        {"type": "http", "url": f"http://127.0.0.1:{closed}/services/T0001/B0002/{TOKENS[0]}"},
        {
            "type": "http",
            "url": f"{http_server.url}/not-found?token={TOKENS[1]}",
            "headers": {"Authorization": f"Bearer {TOKENS[2]}"},
        },
    ]
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"notifications": channels}))
    log = tmp_path / "squall.log"
    result = squall("--log-file", str(log), "run", str(EXAMPLES / "trivial.json"))
    assert result.code == 0, result.stderr
    assert f"notification run-started to http://127.0.0.1:{closed}/… failed" in result.stderr
    assert "404" in result.stderr
    shown = squall("settings", "show")
    assert shown.code == 0, shown.stderr
    for text in (result.stdout, result.stderr, log.read_text(), shown.stdout, shown.stderr):
        for token in TOKENS:
            assert token not in text
    assert http_server.requests, "the webhook was called with its real URL"
    assert any(TOKENS[1] in request[1] for request in http_server.requests)
