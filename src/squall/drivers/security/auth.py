"""Access-control probes: authentication is enforced, and a burst of requests is rate limited.

Requests go to loopback URLs unless ``allow_non_loopback=true``. Tokens may come from the
experiment's ``secrets`` (keys ``valid_token`` and ``expired_token``) so that they stay out of
the experiment file; they are never copied into the result.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers.security._http import check_headers, make_client, send
from squall.drivers.security._net import require_positive, url_pins

__all__ = ["auth_enforced", "rate_limit_enforced"]

MAX_BURST = 10000


def auth_enforced(
    url: str,
    method: str = "GET",
    valid_token: str | None = None,
    expired_token: str | None = None,
    invalid_token: str = "squall-invalid-token",
    scheme: str = "Bearer",
    header: str = "Authorization",
    headers: dict[str, str] | None = None,
    refused_statuses: list[int] | None = None,
    require_www_authenticate: bool = False,
    unreachable_is_refusal: bool = False,
    verify: bool = False,
    ca_bundle: str | None = None,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check that a protected URL refuses missing, invalid and expired credentials.

    Sends up to four requests: without credentials, with ``invalid_token``, with
    ``expired_token`` (if given) and with ``valid_token`` (if given). The first three must
    be refused (a status in ``refused_statuses``); the valid one must be accepted (2xx).

    Arguments:
        url: the protected endpoint.
        method: HTTP method to use.
        valid_token: a credential that must be accepted; falls back to
            ``secrets["valid_token"]``.
        expired_token: a credential past its expiry that must be refused; falls back to
            ``secrets["expired_token"]``.
        invalid_token: a credential that is not valid at all.
        scheme: prefix of the header value (``Bearer``, ``Basic``...; ``""`` for none).
        header: header that carries the credential (e.g. ``X-API-Key``).
        headers: extra headers sent with every request.
        refused_statuses: statuses that count as a refusal (default ``[401, 403]``).
        require_www_authenticate: a 401 must carry a ``WWW-Authenticate`` header.
        unreachable_is_refusal: count a connection failure as a refusal (the service fails
            closed) for the requests that must be refused.
        verify: verify the server's certificate.
        ca_bundle: PEM file of trusted CAs; implies ``verify``.
        timeout: seconds allowed per request.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; ``valid_token`` and ``expired_token`` are read.

    Returns:
        ``ok`` (every case behaved), ``problems``, ``reachable``, ``url``, and ``cases``:
        one entry per request, keyed ``none``, ``invalid``, ``expired``, ``valid``, each
        ``{"expected": "refused" | "accepted", "outcome": "accepted" | "refused" |
        "unexpected" | "unreachable", "status", "www_authenticate", "error", "ok"}``.
    """
    pins = url_pins(url, allow_non_loopback, configuration)
    timeout = require_positive("timeout", timeout)
    refused = set(refused_statuses or [401, 403])
    secrets = secrets or {}
    valid_token = valid_token or secrets.get("valid_token")
    expired_token = expired_token or secrets.get("expired_token")
    plan: list[tuple[str, str | None, str]] = [
        ("none", None, "refused"),
        ("invalid", invalid_token, "refused"),
    ]
    if expired_token:
        plan.append(("expired", str(expired_token), "refused"))
    if valid_token:
        plan.append(("valid", str(valid_token), "accepted"))
    extra = check_headers(headers)
    cases: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    with make_client(timeout, verify, ca_bundle, pins) as client:
        for case, token, expected in plan:
            sent = dict(extra)
            if token is not None:
                sent[header] = f"{scheme} {token}".strip()
            answer = send(client, method, url, sent)
            status = answer.status
            if status is None:
                outcome = "unreachable"
            elif 200 <= status < 300:
                outcome = "accepted"
            else:
                outcome = "refused" if status in refused else "unexpected"
            challenge = answer.response.headers.get("www-authenticate") if answer.response else None
            ok = outcome == expected or (
                expected == "refused" and outcome == "unreachable" and unreachable_is_refusal
            )
            label = "no credentials" if case == "none" else f"{case} credentials"
            if ok and status == 401 and require_www_authenticate and not challenge:
                ok = False
                problems.append(f"{label}: 401 without a WWW-Authenticate header")
            elif not ok:
                seen = f"status {status}" if status is not None else answer.error
                problems.append(f"{label}: expected {expected}, got {outcome} ({seen})")
            cases[case] = {
                "expected": expected,
                "outcome": outcome,
                "status": status,
                "www_authenticate": challenge,
                "error": answer.error,
                "ok": ok,
            }
    return {
        "ok": not problems,
        "problems": problems,
        "reachable": any(c["status"] is not None for c in cases.values()),
        "url": url,
        "cases": cases,
    }


def rate_limit_enforced(
    url: str,
    requests: int = 50,
    within: int | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    limit_statuses: list[int] | None = None,
    stop_on_limit: bool = True,
    verify: bool = False,
    ca_bundle: str | None = None,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send a burst of requests and report whether (and when) the server starts limiting.

    Requests are sent one after the other, as fast as the server answers. Use ``headers``
    with bad credentials to test a login lockout (then add 423 or 403 to
    ``limit_statuses`` if that is how the server says it).

    Arguments:
        url: the endpoint to hit.
        requests: size of the burst (at most 10000).
        within: the limit must start at or before this request number (default: anywhere
            in the burst).
        method: HTTP method to use.
        headers: headers sent with every request.
        limit_statuses: statuses that mean "limited" (default ``[429]``).
        stop_on_limit: stop the burst at the first limited response.
        verify: verify the server's certificate.
        ca_bundle: PEM file of trusted CAs; implies ``verify``.
        timeout: seconds allowed per request.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (limited, and early enough), ``problems``, ``reachable``, ``url``,
        ``limited``, ``first_limited_at`` (1-based request number or ``null``), ``sent``,
        ``statuses`` (status code as a string → count), ``errors`` (transport failures),
        ``retry_after`` (the first limited response's Retry-After, if any), ``elapsed_s``
        and ``requests_per_second``.
    """
    pins = url_pins(url, allow_non_loopback, configuration)
    timeout = require_positive("timeout", timeout)
    if isinstance(requests, bool) or not isinstance(requests, int) or not 0 < requests <= MAX_BURST:
        raise ActivityFailed(
            f"requests must be an integer from 1 to {MAX_BURST}, not {show_value(requests)}"
        )
    limits = set(limit_statuses or [429])
    extra = check_headers(headers)
    statuses: Counter[str] = Counter()
    errors, sent = 0, 0
    first: int | None = None
    retry_after = None
    started = time.monotonic()
    with make_client(timeout, verify, ca_bundle, pins) as client:
        for number in range(1, requests + 1):
            answer = send(client, method, url, extra)
            sent = number
            if answer.response is None:
                errors += 1
                continue
            statuses[str(answer.status)] += 1
            if answer.status in limits and first is None:
                first = number
                retry_after = answer.response.headers.get("retry-after")
                if stop_on_limit:
                    break
    elapsed = time.monotonic() - started
    problems = []
    if errors == sent:
        problems.append(f"no response from {url}")
    elif first is None:
        problems.append(f"no limit reached after {sent} requests")
    elif within is not None and first > within:
        problems.append(f"limited only at request {first}, later than {within}")
    return {
        "ok": not problems,
        "problems": problems,
        "reachable": errors < sent,
        "url": url,
        "limited": first is not None,
        "first_limited_at": first,
        "sent": sent,
        "statuses": dict(statuses),
        "errors": errors,
        "retry_after": retry_after,
        "elapsed_s": round(elapsed, 4),
        "requests_per_second": round(sent / elapsed, 1) if elapsed > 0 else None,
    }
