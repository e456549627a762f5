"""Tests of the workshop driver. The fixtures squall_run and loopback_http_server come
from squall's pytest plugin: no import needed once squall is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from ws_revocation.actions import restore_revocation_list, revoke_token
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


def test_revoke_then_roll_back(tmp_path: Path) -> None:
    revoked = tmp_path / "revoked.txt"
    revoked.write_text("# revoked tokens\n")
    revoke_token(str(revoked), secrets={"token": "t1"})
    assert revoked.read_text() == "# revoked tokens\nt1\n"
    with pytest.raises(RuntimeError, match="not rolled back"):
        revoke_token(str(revoked), secrets={"token": "t1"})
    restore_revocation_list(str(revoked))
    assert revoked.read_text() == "# revoked tokens\n"
    assert restore_revocation_list(str(revoked)) == "nothing to restore"


def test_the_experiment(squall_run, loopback_http_server, tmp_path: Path) -> None:
    revoked = tmp_path / "revoked.txt"
    revoked.write_text("")
    configuration = {
        "api_url": loopback_http_server.base_url,
        "ca_file": "",
        "revoked_tokens_file": str(revoked),
    }
    secrets = {"revocable": {"token": "t1"}}
    loopback_http_server.set("/api/items", status=401)
    result = squall_run(EXPERIMENT, configuration=configuration, secrets=secrets)
    result.assert_held().assert_rolled_back("restore-revocation-list")
    assert revoked.read_text() == ""

    loopback_http_server.set("/api/items", status=200)  # a service that ignores revocation
    result = squall_run(EXPERIMENT, configuration=configuration, secrets=secrets)
    result.assert_deviated()
    assert "accepted (status 200)" in " ".join(result.data["squall"]["reasons"])
