"""Probes: observe, never change anything, and return the reasons with the verdict."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from typing import Any

__all__ = ["token_refused"]


def _status(url: str, token: str, ca_file: str, timeout: float) -> int:
    """The status of a GET of ``url`` with the token (proxies ignored, TLS checked)."""
    handlers: list[Any] = [urllib.request.ProxyHandler({})]
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=ca_file or None)
        handlers.append(urllib.request.HTTPSHandler(context=context))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def token_refused(
    url: str,
    ca_file: str = "",
    timeout: float = 5.0,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Whether the API refuses the leaked token (the secret ``token``) with 401."""
    token = (secrets or {}).get("token")
    if not token:
        raise ValueError("no secret 'token': list its scope under the probe's 'secrets'")
    status = _status(url, str(token), ca_file, timeout)
    problems = []
    if 200 <= status < 300:
        problems.append(f"the revoked token was accepted (status {status})")
    elif status != 401:
        problems.append(f"the revoked token got status {status}, not 401")
    return {"ok": not problems, "problems": problems, "status": status}
