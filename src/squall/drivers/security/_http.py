"""Private HTTP helpers shared by the HTTP probes: one way to build a client and send.

``httpx`` is imported lazily (start-up cost). A probe of a loopback or allow-listed host
connects to the checked address, never through a proxy; a probe run with
``allow_non_loopback`` (no allow-list) goes through the environment's proxies like the http
provider (``squall.proxies``). Clients connect ``*.localhost`` names to loopback without
asking a resolver (``squall.drivers._hosts``), read no ``.netrc``, and do not follow
redirects: the probes judge the first answer.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from squall import ActivityFailed, show_value
from squall.drivers._safety import http_client
from squall.drivers.security._net import describe_error

if TYPE_CHECKING:
    import httpx

__all__: list[str] = []


def make_client(
    timeout: float, verify: bool, ca_bundle: str | None, pins: dict[str, str] | None = None
) -> httpx.Client:
    """An ``httpx.Client`` for probing; ``verify``/``ca_bundle`` control TLS checking;
    ``pins`` (``url_pins``) connect each checked host to its checked address; without
    pins (``allow_non_loopback``) the environment's proxies are used (``squall.proxies``)."""

    tls: ssl.SSLContext | bool = False
    if verify or ca_bundle:
        try:
            tls = ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise ActivityFailed(f"cannot load CA bundle {show_value(ca_bundle)}: {exc}") from exc
    # no pins: the probe runs with allow_non_loopback (no allow-list): proxies honoured
    return http_client(
        pins, proxies=pins is None, timeout=timeout, verify=tls, follow_redirects=False
    )


@dataclass(frozen=True, slots=True)
class Answer:
    """A response, or why there is none."""

    response: httpx.Response | None
    error: str | None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None


def send(
    client: httpx.Client,
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """Send one request; transport errors come back as ``Answer.error``, never raised."""
    import httpx

    try:
        response = client.request(method, url, headers=headers, content=body)
    except httpx.TransportError as exc:
        if isinstance(exc, httpx.TimeoutException):
            return Answer(None, "timed out")
        return Answer(None, describe_error(_root_cause(exc)))
    return Answer(response, None)


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost ``OSError`` behind an httpx error (``ConnectionRefusedError``...)."""
    seen: BaseException | None = exc
    found = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, OSError):
            found = seen
        seen = seen.__cause__ or seen.__context__
    return found


def header_dict(response: httpx.Response) -> dict[str, str]:
    """Response headers as a plain dict (lower-case names; repeated headers joined)."""
    merged: dict[str, str] = {}
    for name, value in response.headers.multi_items():
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Validate an experiment's ``headers`` argument."""
    if headers is None:
        return {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ActivityFailed("headers must be a mapping of header names to string values")
    return dict(headers)
