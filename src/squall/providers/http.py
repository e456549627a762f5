"""``http`` provider: send a request, return status, headers and body.

httpx is imported on first use; one client per TLS setting is kept for the run, so
connections to the same host are reused (the reference opens a new session per call).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from squall.errors import ActivityFailed, ActivityTimeout, Problem
from squall.experiment.limits import seconds
from squall.experiment.model import HttpSpec
from squall.experiment.substitute import substitute
from squall.providers.base import Call

__all__ = ["HttpProvider"]


class HttpProvider:
    type = "http"

    def __init__(self) -> None:
        self._clients: dict[tuple[bool, int], Any] = {}

    def check(self, spec: HttpSpec, pointer: str) -> list[Problem]:
        if "$" in spec.url:
            return []
        import urllib.parse

        parsed = urllib.parse.urlsplit(spec.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return [
                Problem(
                    f"{pointer}/provider/url",
                    f"invalid URL {spec.url!r}",
                    "use an absolute http:// or https:// URL",
                )
            ]
        return []

    def run(self, spec: HttpSpec, call: Call) -> Any:
        import httpx

        url = str(substitute(spec.url, call.variables))
        headers = {str(k): str(v) for k, v in substitute(spec.headers, call.variables).items()}
        arguments = substitute(spec.arguments, call.variables)
        if call.extra_arguments and (arguments is None or isinstance(arguments, Mapping)):
            arguments = {**(arguments or {}), **call.extra_arguments}  # a tolerance's `value`
        timeout = _timeout(substitute(spec.timeout, call.variables), call.timeout)
        request: dict[str, Any] = {"headers": headers, "timeout": timeout}
        if spec.method.upper() == "GET":
            request["params"] = arguments
        elif headers.get("Content-Type", headers.get("content-type")) == "application/json":
            import json

            # the bytes the reference (requests' json=) sends: default separators, ASCII
            request["content"] = json.dumps(arguments, allow_nan=False).encode()
        elif arguments is not None:
            request["data"] = arguments
        client = self._client(spec.verify_tls, spec.max_retries)
        try:
            response = client.request(spec.method.upper(), url, **request)
        except httpx.TimeoutException as exc:
            raise ActivityTimeout(f"HTTP {spec.method} {url} timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ActivityFailed(f"HTTP {spec.method} {url} failed: {exc}") from exc
        if response.status_code >= 400 and not call.in_hypothesis:
            call.warnings.append(f"HTTP {spec.method} {url} returned {response.status_code}")
        return {
            "status": response.status_code,
            "headers": dict(response.headers),
            "body": _body(response),
        }

    def _client(self, verify: bool, retries: int) -> Any:
        import httpx

        key = (verify, retries)
        client = self._clients.get(key)
        if client is None:
            transport = httpx.HTTPTransport(verify=verify, retries=retries)
            client = self._clients[key] = httpx.Client(transport=transport, follow_redirects=True)
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _timeout(value: Any, activity_timeout: float | None) -> Any:
    import httpx

    if isinstance(value, list | tuple) and len(value) == 2:
        connect, read = seconds(value[0]), seconds(value[1])
        if activity_timeout is not None:
            connect, read = min(connect, activity_timeout), min(read, activity_timeout)
        return httpx.Timeout(read, connect=connect)
    values = [seconds(t) for t in (value, activity_timeout) if t is not None]
    return httpx.Timeout(min(values)) if values else httpx.Timeout(None)


def _body(response: Any) -> Any:
    if response.headers.get("Content-Type") == "application/json":
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text
