"""A probe for one security concern: the API must not tell attackers which software (and
which version) it runs. An attacker who reads "Python/3.11.7" knows which CVEs to try."""

from __future__ import annotations

import re
import ssl
import urllib.request
from typing import Any

__all__ = ["version_hidden"]

_VERSION = re.compile(r"/\s*\d")  # "name/1.2": a product with its version


def _headers(url: str, ca_file: str) -> dict[str, str]:
    """The response headers of a GET of ``url`` (TLS checked against ``ca_file``)."""
    context = ssl.create_default_context(cafile=ca_file)
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(url, timeout=5) as response:
        return {name.lower(): value for name, value in response.headers.items()}


def version_hidden(url: str, ca_file: str) -> dict[str, Any]:
    """Whether the Server and X-Powered-By headers hide the software version."""
    headers = _headers(url, ca_file)
    seen = {name: headers.get(name) for name in ("server", "x-powered-by")}
    problems = [
        f"the {name} header reveals a version: {value!r}"
        for name, value in seen.items()
        if value and _VERSION.search(value)
    ]
    return {"ok": not problems, "problems": problems, "headers": seen}
