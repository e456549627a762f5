"""HTTP response probes: OWASP secure headers, cookies, version leaks and the CORS policy.

Each probe sends real requests to the URL (loopback unless ``allow_non_loopback=true``) and
returns facts plus ``ok``. An unreachable URL is a fact (``reachable: false``, ``ok: false``).
Authentication and rate limiting are in :mod:`squall.drivers.security.auth`.
"""

from __future__ import annotations

import re
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers.security._http import check_headers, header_dict, make_client, send
from squall.drivers.security._net import require_positive, url_pins

__all__ = ["cors_policy", "http_security_headers"]

CHECKS = (
    "hsts",
    "csp",
    "content_type_options",
    "frame_options",
    "referrer_policy",
    "cookies",
    "version_leaks",
)
_LEAKY_ALWAYS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version")
_LEAKY_IF_VERSIONED = ("server", "x-generator", "via")
_VERSION = re.compile(r"\d+\.\d+|/\s*\d")
_BAD_REFERRER = frozenset({"unsafe-url", "no-referrer-when-downgrade"})


def http_security_headers(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    min_hsts_max_age: int = 31536000,
    ignore: list[str] | None = None,
    verify: bool = False,
    ca_bundle: str | None = None,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check a response's security headers and cookies against the OWASP Secure Headers advice.

    Judged: ``hsts`` (Strict-Transport-Security on HTTPS, ``max-age`` at least
    ``min_hsts_max_age``), ``csp`` (a Content-Security-Policy is set; ``unsafe-inline`` and
    ``unsafe-eval`` are warnings), ``content_type_options`` (``nosniff``),
    ``frame_options`` (X-Frame-Options ``DENY``/``SAMEORIGIN`` or CSP ``frame-ancestors``),
    ``referrer_policy`` (set, and not ``unsafe-url`` or ``no-referrer-when-downgrade``),
    ``cookies`` (each Set-Cookie has HttpOnly and SameSite, Secure on HTTPS, and
    ``SameSite=None`` only with Secure) and ``version_leaks`` (no X-Powered-By or
    X-AspNet-Version, no version number in Server, X-Generator or Via).

    Arguments:
        url: the page to fetch (``http://`` or ``https://``; redirects are not followed).
        method: HTTP method to use.
        headers: extra request headers (e.g. a session cookie to reach a logged-in page).
        min_hsts_max_age: smallest acceptable HSTS ``max-age`` in seconds (one year).
        ignore: names of checks to report but not judge (see above).
        verify: verify the server's certificate (off by default: ``tls_certificate`` judges
            certificates; this probe judges headers).
        ca_bundle: PEM file of trusted CAs; implies ``verify``.
        timeout: seconds allowed for the request.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (true when ``problems`` is empty), ``problems``, ``warnings``, ``reachable``,
        ``error``, ``url``, ``status``, ``https``, ``checks`` (check name →
        ``{"ok": ..., "value": ..., ...}`` with per-check facts: ``max_age`` and
        ``include_subdomains`` for ``hsts``, ``unsafe`` and ``frame_ancestors`` for ``csp``,
        ``via`` for ``frame_options``, the parsed ``cookies`` list and the ``leaks`` mapping)
        and ``headers`` (all response headers, lower-case names; cookie values are
        replaced by ``…``).
    """
    pins = url_pins(url, allow_non_loopback, configuration)
    timeout = require_positive("timeout", timeout)
    skipped = set(ignore or [])
    if skipped - set(CHECKS):
        raise ActivityFailed(
            f"unknown checks {show_value(sorted(skipped - set(CHECKS)))} "
            f"(use {show_value(list(CHECKS))})"
        )
    https = url.lower().startswith("https:")
    result: dict[str, Any] = {"ok": False, "problems": [], "warnings": [], "url": url}
    result.update(reachable=False, error=None, status=None, https=https, checks={}, headers={})
    with make_client(timeout, verify, ca_bundle, pins) as client:
        answer = send(client, method, url, check_headers(headers))
    if answer.response is None:
        result["error"] = answer.error
        result["problems"].append(f"no response from {url}: {answer.error}")
        return result
    got = header_dict(answer.response)
    csp = _parse_csp(got.get("content-security-policy", ""))
    checks = {
        "hsts": _hsts(got.get("strict-transport-security"), https, min_hsts_max_age),
        "csp": _csp(got.get("content-security-policy"), csp),
        "content_type_options": _nosniff(got.get("x-content-type-options")),
        "frame_options": _framing(got.get("x-frame-options"), csp),
        "referrer_policy": _referrer(got.get("referrer-policy")),
        "cookies": _cookies(answer.response.headers.get_list("set-cookie"), https),
        "version_leaks": _leaks(got),
    }
    problems: list[str] = result["problems"]
    for name, check in checks.items():
        result["warnings"].extend(check.pop("warnings", []))
        if not check["ok"] and name not in skipped:
            problems.extend(check["problems"])
        elif not check["ok"]:
            result["warnings"].extend(f"(ignored) {p}" for p in check["problems"])
    cookie_lines = answer.response.headers.get_list("set-cookie")
    if cookie_lines:  # keep session values out of the journal
        got["set-cookie"] = ", ".join(_redact_cookie(line) for line in cookie_lines)
    result.update(reachable=True, status=answer.status, checks=checks, headers=got)
    result["ok"] = not problems
    return result


def _check(ok: bool, value: Any, problem: str, **facts: Any) -> dict[str, Any]:
    return {"ok": ok, "value": value, "problems": [] if ok else [problem], **facts}


def _hsts(value: str | None, https: bool, min_age: int) -> dict[str, Any]:
    if not https:
        return _check(True, value, "", applicable=False, max_age=None, include_subdomains=None)
    match = re.search(r"max-age\s*=\s*\"?(\d+)", value or "", re.IGNORECASE)
    age = int(match.group(1)) if match else None
    subdomains = "includesubdomains" in (value or "").lower()
    if value is None:
        problem = "Strict-Transport-Security is missing"
    elif age is None:
        problem = "Strict-Transport-Security has no max-age"
    else:
        problem = f"Strict-Transport-Security max-age {age} is below {min_age}"
    ok = age is not None and age >= min_age
    return _check(ok, value, problem, applicable=True, max_age=age, include_subdomains=subdomains)


def _parse_csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    return directives


def _csp(value: str | None, csp: dict[str, list[str]]) -> dict[str, Any]:
    scripts = csp.get("script-src", csp.get("default-src", []))
    unsafe = [s.strip("'") for s in scripts if s in ("'unsafe-inline'", "'unsafe-eval'")]
    check = _check(value is not None, value, "Content-Security-Policy is missing")
    check.update(unsafe=unsafe, frame_ancestors=csp.get("frame-ancestors"))
    check["warnings"] = [f"Content-Security-Policy allows {u} scripts" for u in unsafe]
    return check


def _nosniff(value: str | None) -> dict[str, Any]:
    ok = (value or "").strip().lower() == "nosniff"
    return _check(ok, value, f"X-Content-Type-Options is {value or 'missing'}, not nosniff")


def _framing(value: str | None, csp: dict[str, list[str]]) -> dict[str, Any]:
    if "frame-ancestors" in csp:
        return _check(True, value, "", via="csp frame-ancestors")
    ok = (value or "").strip().upper() in ("DENY", "SAMEORIGIN")
    problem = (
        f"framing is not restricted (X-Frame-Options {value or 'missing'}, no frame-ancestors)"
    )
    return _check(ok, value, problem, via="x-frame-options" if ok else None)


def _referrer(value: str | None) -> dict[str, Any]:
    policies = [p.strip().lower() for p in (value or "").split(",") if p.strip()]
    effective = policies[-1] if policies else None
    ok = effective is not None and effective not in _BAD_REFERRER
    return _check(ok, value, f"Referrer-Policy is {effective or 'missing'}")


def _cookies(raw: list[str], https: bool) -> dict[str, Any]:
    cookies, problems = [], []
    for line in raw:
        first, *attributes = (part.strip() for part in line.split(";"))
        flags = {
            a.split("=", 1)[0].strip().lower(): a.partition("=")[2].strip() for a in attributes
        }
        name = first.partition("=")[0].strip()
        cookie = {
            "name": name,
            "secure": "secure" in flags,
            "httponly": "httponly" in flags,
            "samesite": flags.get("samesite") or None,
        }
        cookies.append(cookie)
        if https and not cookie["secure"]:
            problems.append(f"cookie {show_value(name)} lacks Secure")
        if not cookie["httponly"]:
            problems.append(f"cookie {show_value(name)} lacks HttpOnly")
        if cookie["samesite"] is None:
            problems.append(f"cookie {show_value(name)} lacks SameSite")
        elif str(cookie["samesite"]).lower() == "none" and not cookie["secure"]:
            problems.append(f"cookie {show_value(name)} has SameSite=None without Secure")
    return {"ok": not problems, "value": len(cookies), "problems": problems, "cookies": cookies}


def _redact_cookie(line: str) -> str:
    first, sep, attributes = line.partition(";")
    name = first.partition("=")[0].strip()
    return f"{name}=…{sep}{attributes}"


def _leaks(got: dict[str, str]) -> dict[str, Any]:
    leaks = {name: got[name] for name in _LEAKY_ALWAYS if name in got}
    for name in _LEAKY_IF_VERSIONED:
        if name in got and _VERSION.search(got[name]):
            leaks[name] = got[name]
    problems = [f"{name} reveals {show_value(value)}" for name, value in leaks.items()]
    return {"ok": not leaks, "value": None, "problems": problems, "leaks": leaks}


def cors_policy(
    url: str,
    origins: list[str] | None = None,
    method: str = "GET",
    preflight: bool = True,
    forbid_reflection: bool = False,
    headers: dict[str, str] | None = None,
    verify: bool = False,
    ca_bundle: str | None = None,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check that hostile ``Origin`` values are not allowed to read responses with credentials.

    For each origin, a simple request (``method`` with an ``Origin`` header) and, if
    ``preflight``, an ``OPTIONS`` preflight are sent. A response whose
    Access-Control-Allow-Origin echoes the hostile origin (or is ``*``) while
    Access-Control-Allow-Credentials is ``true`` is a problem; an echo without credentials
    is a warning (a problem if ``forbid_reflection``).

    Arguments:
        url: the endpoint to test.
        origins: hostile origins to send (default ``["https://squall-hostile.example",
            "null"]``).
        method: method of the simple request (and announced in the preflight).
        preflight: also send an ``OPTIONS`` preflight per origin.
        forbid_reflection: treat any echo of a hostile origin as a problem.
        headers: extra request headers (e.g. a session cookie).
        verify: verify the server's certificate.
        ca_bundle: PEM file of trusted CAs; implies ``verify``.
        timeout: seconds allowed per request.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok``, ``problems``, ``warnings``, ``reachable``, ``error``, ``url``, ``responses``
        (one per request: ``{"origin", "kind": "simple" | "preflight", "status",
        "allow_origin", "allow_credentials", "reflected", "wildcard"}``), ``reflected`` (a
        hostile origin was echoed) and ``reflected_with_credentials``.
    """
    pins = url_pins(url, allow_non_loopback, configuration)
    timeout = require_positive("timeout", timeout)
    hostile = origins or ["https://squall-hostile.example", "null"]
    extra = check_headers(headers)
    responses: list[dict[str, Any]] = []
    problems: list[str] = []
    warnings: list[str] = []
    error = None
    with make_client(timeout, verify, ca_bundle, pins) as client:
        for origin in hostile:
            kinds: list[tuple[str, str, dict[str, str]]] = [("simple", method, {})]
            if preflight:
                kinds.append(("preflight", "OPTIONS", {"Access-Control-Request-Method": method}))
            for kind, verb, more in kinds:
                answer = send(client, verb, url, {**extra, **more, "Origin": origin})
                if answer.response is None:
                    error = answer.error
                    continue
                got = header_dict(answer.response)
                allow = got.get("access-control-allow-origin")
                creds = got.get("access-control-allow-credentials", "").lower() == "true"
                entry = {"origin": origin, "kind": kind, "status": answer.status}
                entry.update(allow_origin=allow, allow_credentials=creds)
                entry.update(reflected=allow == origin, wildcard=allow == "*")
                responses.append(entry)
                if (entry["reflected"] or entry["wildcard"]) and creds:
                    problems.append(
                        f"{kind}: origin {show_value(origin)} allowed ({allow}) with credentials"
                    )
                elif entry["reflected"]:
                    text = f"{kind}: origin {show_value(origin)} is echoed (without credentials)"
                    (problems if forbid_reflection else warnings).append(text)
    if not responses:
        problems.append(f"no response from {url}: {error}")
    return {
        "ok": not problems,
        "problems": problems,
        "warnings": warnings,
        "reachable": bool(responses),
        "error": error,
        "url": url,
        "responses": responses,
        "reflected": any(r["reflected"] for r in responses),
        "reflected_with_credentials": any(
            r["reflected"] and r["allow_credentials"] for r in responses
        ),
    }
