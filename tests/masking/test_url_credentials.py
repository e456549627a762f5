"""A password or token in a URL's query is a secret, as one in its userinfo is.

Found: ``redact_url`` hid only ``user:password@``. libpq takes the password in the
query too (``postgresql://u@host/db?password=...``, ``sslpassword=``), and so do many
services (``?access_token=``, ``?secret=``): ``squall runs list --history URL`` printed
it in clear when the server could not be reached, ``squall settings show`` showed it,
and an http activity's error ("HTTP GET ... failed") wrote it to the console and the
journal.

Now a query parameter whose name holds ``password``, ``passwd``, ``pwd``, ``secret`` or
``token`` is shown as ``***`` and its value registered as a secret (so a driver's error
that echoes it is masked too).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from squall.masking import MASK, redact_url

PG = "CNRYpgpass-01"
SSL = "CNRYsslpass-02"
TOKEN = "CNRYtoken-03"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u@h/db?password=pw1234", f"postgresql://u@h/db?password={MASK}"),
        ("postgresql://u@h/db?sslmode=require&sslpassword=s%3Dx1&application_name=a",
         f"postgresql://u@h/db?sslmode=require&sslpassword={MASK}&application_name=a"),
        ("https://api.example/v1?access_token=abcd1234&page=2",
         f"https://api.example/v1?access_token={MASK}&page=2"),
        ("https://bob:hunter2@db.example:5432/x?y=1", f"https://bob:{MASK}@db.example:5432/x?y=1"),
        ("http://127.0.0.1/plain?q=password", "http://127.0.0.1/plain?q=password"),
        ("https://h/x?Client_Secret=zz9988", f"https://h/x?Client_Secret={MASK}"),
        # urllib refuses it (an unclosed IPv6 address): the password is found as text
        ("http://bob:hunter3@[::1/x?y=1", f"http://bob:{MASK}@[::1/x?y=1"),
        ("http://[::1/x@y:z", "http://[::1/x@y:z"),
        ("http://[::1/x?access_token=tok3456&a=1#f", f"http://[::1/x?access_token={MASK}&a=1#f"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_history_url_with_a_query_password_is_never_printed(squall: Any, tmp_path: Path) -> None:
    url = f"postgresql://u@127.0.0.1:{_closed_port()}/db?password={PG}&sslpassword={SSL}"
    listed = squall("runs", "list", "--history", url)
    assert listed.code != 0 and "cannot connect to the run history" in listed.stderr
    (tmp_path / "settings.yaml").write_text(f"history: '{url}'\n")
    shown = squall("settings", "show")
    assert shown.code == 0, shown.stderr
    for text in (listed.stdout, listed.stderr, shown.stdout, shown.stderr):
        assert "CNRY" not in text, text
    assert f"password={MASK}" in listed.stderr and f"password={MASK}" in shown.stdout


def test_an_http_error_does_not_write_a_query_token(squall: Any, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/hook?access_token={TOKEN}"
    experiment = {
        "title": "a token in a URL",
        "description": "not declared as a secret",
        "method": [{"type": "action", "name": "call", "provider": {"type": "http", "url": url}}],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    result = squall("run", "e.json")
    assert result.code == 3, result.stderr
    journal = (tmp_path / "journal.json").read_text()
    entry = json.loads(journal)["run"][0]
    assert f"access_token={MASK}" in entry["squall"]["reason"], entry
    for text in (result.stdout, result.stderr):
        assert TOKEN not in text, text
    assert TOKEN not in json.dumps(json.loads(journal)["run"])


URL_PW = "CNRYurlpass-04"


def test_an_experiment_url_with_credentials_reaches_no_sink(squall: Any, tmp_path: Path) -> None:
    """An experiment fetched from ``http://user:password@...`` (or ``?access_token=``):
    the password was in the console's first line ("running ... (URL, run ...)"), the run
    history's source (``runs show``) and validate's messages (newcomer9's walk). The URL is
    now named with its credentials masked wherever it is shown, and they are secrets."""
    import http.server
    import threading

    from sqharness import EXAMPLES

    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "trivial.json").write_text((EXAMPLES / "trivial.json").read_text())
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path / "www")
    )
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    history = str(tmp_path / "h.sqlite3")
    try:
        outputs = []
        for url in (
            f"http://alice:{URL_PW}@127.0.0.1:{port}/trivial.json",
            f"http://127.0.0.1:{port}/trivial.json?access_token={URL_PW}",
        ):
            run = squall("run", url, "--history", history)
            assert run.code == 0, run.stderr
            assert 'running "trivial" (http://' in run.stderr and MASK in run.stderr
            outputs += [run.stdout, run.stderr, (tmp_path / "journal.json").read_text()]
            run_id = run.journal["squall"]["run_id"]
            shown = squall("runs", "show", run_id, "--history", history)
            assert f":{MASK}@" in shown.stdout or f"={MASK}" in shown.stdout, shown.stdout
            outputs += [shown.stdout, squall("runs", "list", "--history", history).stdout]
            checked = squall("validate", url)
            assert checked.code == 0, checked.stderr
            outputs += [checked.stderr]
        missing = squall("run", f"http://alice:{URL_PW}@127.0.0.1:{port}/nope.json")
        assert missing.code == 2 and "HTTP 404" in missing.stderr
        outputs.append(missing.stderr)
    finally:
        server.shutdown()
        server.server_close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("h.sqlite3*"))
    assert URL_PW.encode() not in stored
    leaks = [text for text in outputs if URL_PW in text]
    assert not leaks, leaks[0]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://bob:CNRYbadurl-04@127.0.0.1:99999/e.json", "not a valid URL (Port out of range"),
        ("http://bob:CNRYbadurl-04@127.0.0.1:80x/e.json", "not a valid URL (Port could not be"),
        ("http://bob:CNRYbadurl-04@[::1/e.json", "not a valid URL (Invalid IPv6 URL)"),
        ("https://bob:CNRYbadurl-04@xn--/e.json", "cannot fetch https://bob:***@xn--/e.json: "),
    ],
)
def test_an_experiment_url_that_is_not_valid_is_bad_input(squall: Any, url: str, why: str) -> None:
    """A URL urllib or httpx cannot read (a port out of range, a broken IPv6 address, an
    IDNA host) was an internal error (exit 3): it is bad input, its password masked."""
    result = squall("validate", url)
    assert result.code == 2, result.stderr
    assert why in result.stderr and "internal error" not in result.stderr
    assert "CNRYbadurl-04" not in result.stderr + result.stdout
