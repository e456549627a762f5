"""Tests of the workshop driver. The fixtures squall_run and loopback_http_server come
from squall's pytest plugin: no import needed once squall is installed."""

from __future__ import annotations

from pathlib import Path

from ws_revocation.probes import token_refused

EXPERIMENT = Path(__file__).resolve().parent.parent / "experiment.json"


def test_the_probe_says_why(loopback_http_server) -> None:
    loopback_http_server.set("/api/items", status=200)
    result = token_refused(loopback_http_server.url("/api/items"), secrets={"token": "t1"})
    assert result == {
        "ok": False,
        "problems": ["the revoked token was accepted (status 200)"],
        "status": 200,
    }
    assert loopback_http_server.requests[0]["headers"]["Authorization"] == "Bearer t1"
    loopback_http_server.set("/api/items", status=401)
    assert token_refused(loopback_http_server.url("/api/items"), secrets={"token": "t1"})["ok"]


# TODO: test_revoke_then_roll_back(tmp_path): revoke a token in a file of your own, check
# the file, check that a second revoke is refused, roll back, check the bytes are back.

# TODO: test_the_experiment(squall_run, loopback_http_server, tmp_path): run
# experiment.json with squall_run(EXPERIMENT, configuration={...}, secrets={...}) against
# the loopback server: held when it answers 401, deviated (and why) when it answers 200.
