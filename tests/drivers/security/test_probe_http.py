"""http_security_headers, cors_policy, auth_enforced, rate_limit_enforced on real servers."""

from __future__ import annotations

import json

import pytest

from squall import ActivityFailed
from squall.drivers.security.auth import auth_enforced, rate_limit_enforced
from squall.drivers.security.http import cors_policy, http_security_headers

GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
GOOD_COOKIE = "session=abc; Path=/; Secure; HttpOnly; SameSite=Strict"

# -- http_security_headers ---------------------------------------------------------------------


def test_hardened_https_app_is_ok(serve, app_type):
    server = serve(tls="valid", app=app_type(headers=dict(GOOD_HEADERS), cookies=[GOOD_COOKIE]))
    result = http_security_headers(server.url + "/")
    assert result["ok"] is True, result["problems"]
    assert result["status"] == 200 and result["https"] is True
    checks = result["checks"]
    assert checks["hsts"]["max_age"] == 63072000 and checks["hsts"]["include_subdomains"]
    assert checks["frame_options"]["via"] == "csp frame-ancestors"
    assert checks["cookies"]["cookies"] == [
        {"name": "session", "secure": True, "httponly": True, "samesite": "Strict"}
    ]
    assert result["headers"]["set-cookie"] == "session=…; Path=/; Secure; HttpOnly; SameSite=Strict"
    json.dumps(result)


def test_bare_app_lists_every_missing_header(serve):
    result = http_security_headers(serve(tls="valid").url + "/")
    assert result["ok"] is False
    failing = {name for name, check in result["checks"].items() if not check["ok"]}
    assert failing == {"hsts", "csp", "content_type_options", "frame_options", "referrer_policy"}
    assert "Strict-Transport-Security is missing" in result["problems"]


def test_hsts_is_not_required_on_plain_http(serve, app_type):
    headers = {k: v for k, v in GOOD_HEADERS.items() if not k.startswith("Strict")}
    result = http_security_headers(serve(app=app_type(headers=headers)).url + "/")
    assert result["checks"]["hsts"]["applicable"] is False
    assert result["ok"] is True, result["problems"]


def test_short_hsts_unsafe_csp_and_weak_cookies(serve, app_type):
    app = app_type(
        headers={
            **GOOD_HEADERS,
            "Strict-Transport-Security": "max-age=300",
            "Content-Security-Policy": "script-src 'self' 'unsafe-inline'",
            "X-Frame-Options": "ALLOW-FROM https://x.example",
            "Referrer-Policy": "unsafe-url",
        },
        cookies=["session=abc; Path=/", "pref=1; SameSite=None; HttpOnly"],
    )
    result = http_security_headers(serve(tls="valid", app=app).url + "/")
    problems = result["problems"]
    assert "abc" not in result["headers"]["set-cookie"]
    assert "Strict-Transport-Security max-age 300 is below 31536000" in problems
    assert "Content-Security-Policy allows unsafe-inline scripts" in result["warnings"]
    assert not result["checks"]["frame_options"]["ok"]
    assert "Referrer-Policy is unsafe-url" in problems
    for text in ("lacks Secure", "lacks HttpOnly", "lacks SameSite", "SameSite=None without"):
        assert any(text in p for p in problems), text
    assert result["ok"] is False


def test_version_leaks_and_ignore(serve, app_type):
    app = app_type(headers={**GOOD_HEADERS, "X-Powered-By": "PHP/8.1.2", "Via": "1.1 proxy"})
    server = serve(tls="valid", app=app)
    result = http_security_headers(server.url + "/")
    assert result["checks"]["version_leaks"]["leaks"] == {
        "x-powered-by": "PHP/8.1.2",
        "via": "1.1 proxy",
    }
    assert result["ok"] is False
    ignored = http_security_headers(server.url + "/", ignore=["version_leaks"])
    assert ignored["ok"] is True
    assert any("(ignored)" in w for w in ignored["warnings"])


def test_headers_unreachable_and_bad_input(closed_port):
    result = http_security_headers(f"http://127.0.0.1:{closed_port}/")
    assert result == {**result, "ok": False, "reachable": False, "error": "connection refused"}
    with pytest.raises(ActivityFailed, match="non-loopback"):
        http_security_headers("https://example.com/")
    with pytest.raises(ActivityFailed, match="absolute"):
        http_security_headers("ftp://127.0.0.1/")
    with pytest.raises(ActivityFailed, match="unknown checks"):
        http_security_headers("http://127.0.0.1:1/", ignore=["nope"])


# -- cors_policy -------------------------------------------------------------------------------


def test_strict_cors_is_ok(serve, app_type):
    server = serve(app=app_type(cors="strict"))
    result = cors_policy(server.url + "/")
    assert result["ok"] is True and result["reflected"] is False
    assert len(result["responses"]) == 4
    trusted = cors_policy(server.url + "/", origins=["https://app.example"])
    assert trusted["reflected_with_credentials"] is True and trusted["ok"] is False


def test_reflecting_cors_with_credentials_is_flagged(serve, app_type):
    result = cors_policy(serve(app=app_type(cors="reflect")).url + "/")
    assert result["ok"] is False
    assert result["reflected_with_credentials"] is True
    kinds = {(r["origin"], r["kind"]) for r in result["responses"] if r["reflected"]}
    assert ("null", "preflight") in kinds and ("https://squall-hostile.example", "simple") in kinds


def test_wildcard_without_credentials_is_allowed(serve, app_type):
    result = cors_policy(serve(app=app_type(cors="wildcard")).url + "/", preflight=False)
    assert result["ok"] is True
    assert all(r["wildcard"] and not r["allow_credentials"] for r in result["responses"])


def test_cors_unreachable(closed_port):
    result = cors_policy(f"http://127.0.0.1:{closed_port}/")
    assert result["reachable"] is False and result["ok"] is False


# -- auth_enforced -----------------------------------------------------------------------------


def test_auth_enforced_on_a_protected_path(serve, token):
    server = serve(tls="valid")
    result = auth_enforced(
        server.url + "/private",
        valid_token=token(60),
        expired_token=token(-60),
        require_www_authenticate=True,
    )
    assert result["ok"] is True, result["problems"]
    assert {k: v["outcome"] for k, v in result["cases"].items()} == {
        "none": "refused",
        "invalid": "refused",
        "expired": "refused",
        "valid": "accepted",
    }
    assert result["cases"]["none"]["www_authenticate"] == 'Bearer realm="squall"'
    assert "eyJ" not in json.dumps(result)  # tokens are not copied into the result


def test_auth_disabled_is_detected(serve, app_type, token):
    app = app_type()
    server = serve(app=app)
    app.auth_enabled = False
    result = auth_enforced(server.url + "/private", secrets={"valid_token": token(60)})
    assert result["ok"] is False
    assert result["cases"]["none"]["outcome"] == "accepted"
    assert "no credentials: expected refused, got accepted (status 200)" in result["problems"]


def test_valid_token_refused_and_missing_challenge(serve, app_type):
    app = app_type(www_authenticate=False)
    server = serve(app=app)
    result = auth_enforced(
        server.url + "/private", valid_token="forged.token", require_www_authenticate=True
    )
    assert result["cases"]["valid"]["outcome"] == "refused"
    assert "no credentials: 401 without a WWW-Authenticate header" in result["problems"]
    assert result["ok"] is False


def test_auth_unreachable_fails_closed_only_when_asked(closed_port):
    url = f"http://127.0.0.1:{closed_port}/private"
    assert auth_enforced(url)["ok"] is False
    closed = auth_enforced(url, unreachable_is_refusal=True)
    assert closed["ok"] is True and closed["reachable"] is False
    assert auth_enforced(url, valid_token="x", unreachable_is_refusal=True)["ok"] is False


# -- rate_limit_enforced -----------------------------------------------------------------------


def test_rate_limit_reached(serve, app_type):
    server = serve(app=app_type(rate_limit=5))
    result = rate_limit_enforced(server.url + "/limited", requests=20, within=10)
    assert result["ok"] is True
    assert result["first_limited_at"] == 6 and result["sent"] == 6
    assert result["statuses"] == {"200": 5, "429": 1}
    assert result["retry_after"] == "1"


def test_rate_limit_too_late_or_missing(serve, app_type):
    late = serve(app=app_type(rate_limit=8))
    result = rate_limit_enforced(late.url + "/limited", requests=20, within=5, stop_on_limit=False)
    assert result["ok"] is False and result["first_limited_at"] == 9
    assert result["statuses"] == {"200": 8, "429": 12}
    none = rate_limit_enforced(serve().url + "/limited", requests=10)
    assert none["ok"] is False and none["limited"] is False
    assert none["problems"] == ["no limit reached after 10 requests"]


def test_rate_limit_bad_input_and_unreachable(closed_port):
    with pytest.raises(ActivityFailed, match="requests must be"):
        rate_limit_enforced("http://127.0.0.1:1/", requests=0)
    result = rate_limit_enforced(f"http://127.0.0.1:{closed_port}/", requests=3)
    assert result["reachable"] is False and result["errors"] == 3 and result["ok"] is False


# -- the loopback rule -------------------------------------------------------------------------


def test_loopback_rule_and_driver_wide_allowlist():
    from squall.drivers.security._net import is_loopback, require_host

    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "api.localhost"):
        assert is_loopback(host), host
    for host in ("10.0.0.1", "example.com", "0.0.0.0", "localhost.example.com"):
        assert not is_loopback(host), host
    allow = {"squall_allowed_networks": ["192.0.2.0/24"]}
    assert require_host("192.0.2.7", False, allow) == "192.0.2.7"
    assert require_host("203.0.113.5", True) == "203.0.113.5"
    with pytest.raises(ActivityFailed, match="squall_allowed_networks"):
        require_host("198.51.100.1", False, allow)
    with pytest.raises(ActivityFailed, match="non-loopback"):
        require_host("192.0.2.7", False)
