"""The demo in its secure configuration, checked with real clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from demo_support import alerts, api_client, configured, login, read_jsonl, start_demo, wait_for

from squall.demo import DemoInfo, status
from squall.drivers.security._pki import make_authority, make_leaf


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoInfo]:
    yield from start_demo()


def test_up_reports_everything(demo: DemoInfo) -> None:
    result = status(demo.state_dir)
    assert result.running and result.healthy
    data = json.loads((demo.state_dir / "demo.json").read_text())
    for key in (
        "api_url",
        "auth_url",
        "webhook_url",
        "ports",
        "pids",
        "pidfiles",
        "config_file",
        "cert_file",
        "key_file",
        "ca_file",
        "signing_key_file",
        "revoked_tokens_file",
        "audit_log",
        "alerts_file",
        "webhook_file",
        "heartbeat_file",
        "secrets_dir",
        "user",
        "password",
    ):
        assert key in data, key
    for name, pidfile in data["pidfiles"].items():
        assert Path(pidfile).read_text().strip() == str(data["pids"][name])
    config = json.loads(demo.path("config_file").read_text())
    assert config["auth_enabled"] is True and config["rate_limit_per_minute"] == 60
    assert os.stat(demo.path("key_file")).st_mode & 0o077 == 0
    assert os.stat(demo.state_dir / "demo.json").st_mode & 0o777 == 0o600, "it holds the password"


def test_tls_handshake_against_the_demo_ca(demo: DemoInfo) -> None:
    ctx = ssl.create_default_context(cafile=str(demo.path("ca_file")))
    with (
        socket.create_connection(("127.0.0.1", demo.ports["api"]), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        assert tls.getpeercert() is not None
    untrusting = ssl.create_default_context()
    with (
        socket.create_connection(("127.0.0.1", demo.ports["api"]), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        untrusting.wrap_socket(raw, server_hostname="localhost")


def test_security_headers_and_no_version_leak(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        response = client.get("/health")
    assert response.status_code == 200
    headers = response.headers
    assert "max-age" in headers["strict-transport-security"]
    assert "default-src" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["server"] == "squall-demo"
    assert "x-powered-by" not in headers


def test_cors_allowlist(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        good = client.get("/health", headers={"Origin": "https://app.example.test"})
        evil = client.get("/health", headers={"Origin": "https://evil.example"})
        preflight = client.options("/api/items", headers={"Origin": "https://evil.example"})
    assert good.headers["access-control-allow-origin"] == "https://app.example.test"
    assert "access-control-allow-origin" not in evil.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_protected_endpoint_requires_a_valid_token(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        missing = client.get("/api/items")
        bogus = client.get("/api/items", headers={"Authorization": "Bearer sq1.e30.nope"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert bogus.status_code == 401


def test_login_gives_a_working_token_and_failures_are_audited(demo: DemoInfo) -> None:
    token = login(demo)
    with api_client(demo) as client:
        items = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
        failed = client.post(
            "/login",
            json={"user": "alice", "password": "wrong"},
            headers={"X-Squall-Run-Id": "run-audit"},
        )
    assert items.status_code == 200 and items.json()["user"] == "alice"
    assert failed.status_code == 401
    records = wait_for(
        lambda: [r for r in read_jsonl(demo.path("audit_log")) if r.get("run_id") == "run-audit"]
    )
    assert records[0]["event"] == "login_failed" and records[0]["status"] == 401
    assert {"time", "client", "path", "status", "user"} <= records[0].keys()


def test_revoked_token_is_refused(demo: DemoInfo) -> None:
    token = login(demo)
    headers = {"Authorization": f"Bearer {token}"}
    with api_client(demo) as client:
        assert client.get("/api/items", headers=headers).status_code == 200
        revoked = demo.path("revoked_tokens_file")
        with revoked.open("a") as fh:
            fh.write(token + "\n")
        refused = client.get("/api/items", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"] == "revoked"


def test_clock_offset_expires_tokens(demo: DemoInfo) -> None:
    token = login(demo)
    with configured(demo, clock_offset_seconds=7200), api_client(demo) as client:
        response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["error"] == "expired"


def test_sighup_reload_disables_auth_and_the_detector_notices(demo: DemoInfo) -> None:
    with configured(demo, auth_enabled=False), api_client(demo) as client:
        open_door = client.get("/api/items", headers={"X-Squall-Run-Id": "run-noauth"})
        assert open_door.status_code == 200
        wait_for(lambda: alerts(demo, "auth_disabled"))
        bypass = wait_for(lambda: alerts(demo, "auth_bypass"))
        assert bypass[0]["run_id"] == "run-noauth"
    with api_client(demo) as client:
        assert client.get("/api/items").status_code == 401


def test_rate_limit_gives_429(demo: DemoInfo) -> None:
    with configured(demo, rate_limit_per_minute=5), api_client(demo) as client:
        codes = [client.get("/api/items").status_code for _ in range(8)]
    assert codes[:5] == [401] * 5
    assert 429 in codes[5:]


def test_brute_force_is_detected(demo: DemoInfo) -> None:
    with api_client(demo) as client:
        for _ in range(12):
            client.post(
                "/login",
                json={"user": "alice", "password": "guess"},
                headers={"X-Squall-Run-Id": "run-brute"},
            )
    found = wait_for(lambda: alerts(demo, "brute_force"))
    assert found[0]["run_id"] == "run-brute"
    # the same client again within the window, from another run: a new attack, a new alert
    # (a workshop experiment run twice in a minute must not deviate on its second run)
    with api_client(demo) as client:
        client.post(
            "/login",
            json={"user": "alice", "password": "guess"},
            headers={"X-Squall-Run-Id": "run-brute-again"},
        )
    again = wait_for(lambda: [a for a in alerts(demo, "brute_force") if a["run_id"] != "run-brute"])
    assert [a["run_id"] for a in again] == ["run-brute-again"]
    assert len(alerts(demo, "brute_force")) == 2, "one alert per run, not one per attempt"


def test_unexpected_port_is_alerted_and_reaches_the_webhook(demo: DemoInfo) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def port_alert(sink: str) -> list[dict[str, object]]:
            return [a for a in alerts(demo, "unexpected_port", sink) if a["data"]["port"] == port]

        found = wait_for(lambda: port_alert("alerts_file"), timeout=4)
        assert {"time", "kind", "detail", "run_id"} <= found[0].keys()
        wait_for(lambda: port_alert("webhook_file"), timeout=4)


def test_planted_aws_key_is_alerted_with_its_run_id(demo: DemoInfo) -> None:
    planted = demo.path("secrets_dir") / "leak.env"
    planted.write_text("# run_id=run-canary-42\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")

    def secret_alert(sink: str) -> list[dict[str, object]]:
        return [a for a in alerts(demo, "secret_exposed", sink) if a["run_id"] == "run-canary-42"]

    found = wait_for(lambda: secret_alert("alerts_file"), timeout=4)
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(found)
    wait_for(lambda: secret_alert("webhook_file"), timeout=4)
    planted.unlink()


def test_canary_token_carries_its_run_id(demo: DemoInfo) -> None:
    planted = demo.path("secrets_dir") / "notes.md"
    planted.write_text("deploy token: squall-canary-run77\n")
    found = wait_for(
        lambda: [a for a in alerts(demo, "secret_exposed") if a["run_id"] == "run77"], timeout=4
    )
    assert found[0]["data"]["pattern"] == "squall_canary"
    planted.unlink()


def test_expired_certificate_swap_is_refused_and_noticed(demo: DemoInfo) -> None:
    tmp_path = demo.state_dir
    cert_file, key_file = demo.path("cert_file"), demo.path("key_file")
    saved = cert_file.read_bytes(), key_file.read_bytes()
    authority = make_authority()
    make_leaf(authority, ["localhost", "127.0.0.1"], days_valid=-1, days_before=10).write(
        tmp_path / "expired.crt", tmp_path / "expired.key"
    )
    try:
        with configured(
            demo, cert_file=str(tmp_path / "expired.crt"), key_file=str(tmp_path / "expired.key")
        ):
            with api_client(demo) as client, pytest.raises(httpx.ConnectError):
                client.get("/health")
            wait_for(lambda: alerts(demo, "cert_expired"))
    finally:
        assert (cert_file.read_bytes(), key_file.read_bytes()) == saved
    with api_client(demo) as client:
        assert client.get("/health").status_code == 200


def _handshake_tls10(port: int) -> str:
    """The version negotiated by a TLS 1.0-only client, or the error text."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
    except (ValueError, ssl.SSLError) as exc:
        pytest.skip(f"this client cannot speak TLS 1.0: {exc}")
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw) as tls,
        ):
            return str(tls.version())
    except ssl.SSLError as exc:
        if "NO_PROTOCOLS_AVAILABLE" in str(exc):
            pytest.skip("this client cannot speak TLS 1.0")
        return str(exc)


def test_tls_downgrade_is_real_and_noticed(demo: DemoInfo) -> None:
    assert _handshake_tls10(demo.ports["api"]) != "TLSv1"
    with configured(demo, min_tls_version="TLSv1"):
        assert _handshake_tls10(demo.ports["api"]) == "TLSv1"
        found = wait_for(lambda: alerts(demo, "tls_downgrade"))
    assert found[0]["data"]["new"] == "TLSv1"


def test_api_fails_closed_when_auth_is_stopped(demo: DemoInfo) -> None:
    token = login(demo)
    auth_pid = demo.pids["auth"]
    os.kill(auth_pid, signal.SIGSTOP)
    try:
        with api_client(demo) as client:
            response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
    finally:
        os.kill(auth_pid, signal.SIGCONT)
    assert response.status_code == 503
    with api_client(demo) as client:
        assert client.get("/api/items", headers={"Authorization": f"Bearer {token}"}).is_success


def test_detector_heartbeat_is_fresh(demo: DemoInfo) -> None:
    beat = demo.path("heartbeat_file")
    first = json.loads(beat.read_text())["ts"]
    wait_for(lambda: json.loads(beat.read_text())["ts"] > first, timeout=3)
