"""``http`` provider: send a request, return status, headers and body.

Plain ``http://`` requests go through ``_wire`` (a small HTTP/1.1 client on a socket, a few
milliseconds to import); ``https://``, requests through a proxy and URLs it does not
handle go through httpx, imported on first use. Both keep connections alive for the run
(one httpx client per TLS setting and proxy; one ``_wire`` pool), and the engine closes
them when the run ends. Redirects are followed here, by one set of rules for both paths
(``_redirect``). The proxy environment (``HTTP_PROXY``...) is read at the run's first
request (``squall.proxies``); each request, redirects included, goes through the proxy of
its own URL. ``.netrc`` is read at the run's first request that gives no credentials of its
own (``_netrc``: the Chaos Toolkit's requests reads it too); its credentials go only to the
host the activity names.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping

from squall._version import __version__
from squall.errors import ActivityFailed, ActivityTimeout, Problem
from squall.experiment.limits import seconds
from squall.experiment.model import HttpSpec
from squall.experiment.substitute import substitute
from squall.masking import redact_url
from squall.providers.base import Call
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:  # imported when the first request is sent (a run without http skips them)
    from typing import Any, Literal

    from squall.netrc_auth import Netrc
    from squall.providers._redirect import Hop
    from squall.providers._wire import Pool, WireResponse
    from squall.proxies import Proxies

__all__ = ["HttpProvider"]

#: sent unless the activity gives its own (httpx would send python-httpx/...)
DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"squall/{__version__}",
}
_MAX_REDIRECTS = 20  # httpx's


class HttpProvider:
    type = "http"

    def __init__(self) -> None:
        self._clients: dict[tuple[bool, int, str | None], Any] = {}
        self._pool: Pool | None = None
        self._lock = threading.Lock()
        #: the proxy environment, read at the run's first request (as httpx's client
        #: reads it once); False: no proxy configured; None: not read yet
        self._proxies: Proxies | Literal[False] | None = None
        #: the run's .netrc, read at the first request without credentials of its own;
        #: False: there is none; None: not read yet
        self._netrc: Netrc | Literal[False] | None = None

    def check(self, spec: HttpSpec, pointer: str) -> list[Problem]:
        if "$" in spec.url:
            return []
        from squall.providers._url import split

        try:
            parsed = split(spec.url)
        except ValueError:  # "http://[x" and other hosts no URL can have
            parsed = split("")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            return [
                Problem(
                    f"{pointer}/provider/url",
                    f"invalid URL {show_value(spec.url)}",
                    "use an absolute http:// or https:// URL",
                )
            ]
        return []

    def run(self, spec: HttpSpec, call: Call) -> Any:
        from squall.providers._wire import WireError, WireTimeout

        url = str(substitute(spec.url, call.variables))
        headers = {str(k): str(v) for k, v in substitute(spec.headers, call.variables).items()}
        arguments = substitute(spec.arguments, call.variables)
        if call.extra_arguments and (arguments is None or isinstance(arguments, Mapping)):
            arguments = {**(arguments or {}), **call.extra_arguments}  # a tolerance's `value`
        timeouts = _timeouts(substitute(spec.timeout, call.variables), call.timeout)
        try:
            hop = _first_hop(spec.method.upper(), url, headers, arguments)
            auth = self._netrc_header(hop, call)
            response = self._follow(hop, timeouts, spec, auth)
        except WireTimeout as exc:
            raise ActivityTimeout(
                f"HTTP {spec.method} {redact_url(url)} timed out: {exc}"
            ) from None
        except WireError as exc:
            raise ActivityFailed(f"HTTP {spec.method} {redact_url(url)} failed: {exc}") from None
        if response.status >= 400 and not call.in_hypothesis:
            call.warnings.append(f"HTTP {spec.method} {redact_url(url)} returned {response.status}")
        return {
            "status": response.status,
            "headers": response_headers(response.headers),
            "body": _body(response),
        }

    def _netrc_header(self, hop: Hop, call: Call) -> str | None:
        """``Authorization`` from .netrc for the named host, unless the activity gives
        credentials of its own (a header, or ``user:password@`` in its URL)."""
        if any(k.lower() == "authorization" for k in hop.headers) or _userinfo(hop.url):
            return None
        netrc = self._netrc
        if netrc is None:
            from squall.netrc_auth import read_netrc

            with self._lock:
                if self._netrc is None:
                    self._netrc = read_netrc() or False
                netrc = self._netrc
        if netrc is False:
            return None
        if netrc.problem:
            with self._lock:
                warning = netrc.warning()
            if warning:
                call.warnings.append(warning)
            return None
        return netrc.header(hop.host)

    def _follow(
        self,
        hop: Hop,
        timeouts: tuple[float | None, float | None],
        spec: HttpSpec,
        auth: str | None = None,
    ) -> WireResponse:
        from squall.providers._redirect import next_hop
        from squall.providers._wire import WireError

        named = hop
        for _ in range(_MAX_REDIRECTS + 1):
            if auth is not None and _netrc_may_go(named, hop):
                hop.headers = {**hop.headers, "Authorization": auth}
            proxies = self._proxies
            if proxies is None:
                proxies = self._proxies = _read_proxies()
            try:
                proxy = None if proxies is False else proxies.for_url(hop.scheme, *hop.address)
            except ValueError as exc:  # squall.proxies.ProxyError: a proxy it cannot use
                raise WireError(str(exc)) from None
            if hop.plain and proxy is None:
                response = self._wire().request(
                    hop.method, hop.address, hop.head(), hop.body, timeouts, spec.max_retries
                )
            else:
                response = self._httpx(hop, timeouts, spec, proxy)
            following = next_hop(hop, response)
            if following is None:
                return response
            hop = following
        raise WireError(f"Exceeded maximum allowed redirects ({_MAX_REDIRECTS}).")

    def _wire(self) -> Pool:
        from squall.providers._wire import Pool

        with self._lock:
            if self._pool is None:
                self._pool = Pool()
            return self._pool

    def _httpx(
        self,
        hop: Hop,
        timeouts: tuple[float | None, float | None],
        spec: HttpSpec,
        proxy: str | None,
    ) -> WireResponse:
        import httpx

        from squall.providers._wire import (
            MAX_BODY,
            TOO_LARGE,
            WireError,
            WireResponse,
            WireTimeout,
            decode_headers,
        )

        client = self._client(spec.verify_tls, spec.max_retries, proxy)
        connect, read = timeouts
        deadline = None if read is None else time.monotonic() + read  # the whole exchange
        try:
            with client.stream(
                hop.method,
                hop.url,
                headers=hop.headers,
                content=hop.body or None,
                timeout=httpx.Timeout(read, connect=connect),
            ) as response:
                body = bytearray()
                for part in response.iter_bytes():  # decoded a part at a time
                    body += part
                    if len(body) > MAX_BODY:
                        raise WireError(TOO_LARGE)
                    if deadline is not None and time.monotonic() > deadline:
                        raise WireTimeout("the exchange took longer than its timeout")
        except httpx.TimeoutException as exc:
            raise WireTimeout(str(exc)) from None
        except httpx.HTTPError as exc:
            raise WireError(str(exc)) from None
        headers = decode_headers(response.headers.raw)
        return WireResponse(response.status_code, headers, bytes(body))

    def _client(self, verify: bool, retries: int, proxy: str | None) -> Any:
        import http.cookiejar

        import httpx

        key = (verify, retries, proxy)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # the transport is explicit, so httpx reads no proxy variable itself
                transport = httpx.HTTPTransport(verify=verify, retries=retries, proxy=proxy)
                # cookies live in one activity's redirect chain (``_redirect``), never longer
                jar = http.cookiejar.CookieJar(
                    http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
                )
                client = self._clients[key] = httpx.Client(
                    transport=transport, follow_redirects=False, cookies=jar
                )
            return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            self._proxies = None
            self._netrc = None


def _userinfo(url: str) -> bool:
    """Whether the URL carries ``user[:password]@`` (httpx sends it as Basic)."""
    if "@" not in url:
        return False
    from squall.providers._url import split

    try:
        return "@" in split(url).netloc
    except ValueError:
        return False


def _netrc_may_go(named: Hop, hop: Hop) -> bool:
    """Whether .netrc's credentials for the named host go with this request: to that
    host only (a redirect elsewhere gets none), never down from https to plain http, and
    not when the request already has an ``Authorization`` (the first request's own)."""
    if hop.host != named.host or (named.scheme == "https" and hop.scheme != "https"):
        return False
    return not any(k.lower() == "authorization" for k in hop.headers)


def _read_proxies() -> Proxies | Literal[False]:
    """The environment's proxy settings, or False when no request can use a proxy."""
    if "_proxy" not in " ".join(os.environ).lower():
        return False  # no *_proxy variable (the usual case): squall.proxies not imported
    from squall.proxies import Proxies

    proxies = Proxies()
    return proxies if proxies else False


def _first_hop(method: str, url: str, headers: dict[str, str], arguments: Any) -> Hop:
    from squall.providers._redirect import Hop

    body = b""
    given = {k.lower() for k in headers}
    extra: dict[str, str] = {}
    if method == "GET":
        if arguments is not None:
            url = _with_params(url, arguments)
    elif headers.get("Content-Type", headers.get("content-type")) == "application/json":
        import json

        # the bytes the reference (requests' json=) sends: default separators, ASCII
        body = json.dumps(arguments, allow_nan=False).encode()
    elif arguments is not None:
        body = _form(arguments)
        extra["Content-Type"] = "application/x-www-form-urlencoded"
    if body or method in ("POST", "PUT", "PATCH"):
        extra["Content-Length"] = str(len(body))
    if not headers:
        return Hop(method, url, {**DEFAULT_HEADERS, **extra}, body)
    merged = {k: v for k, v in DEFAULT_HEADERS.items() if k.lower() not in given}
    merged.update({k: v for k, v in extra.items() if k.lower() not in given})
    merged.update(headers)
    return Hop(method, url, merged, body)


def _with_params(url: str, arguments: Any) -> str:
    """The URL with ``arguments`` as its query (merged into a query it already has)."""
    import urllib.parse

    if isinstance(arguments, str):
        pairs = urllib.parse.parse_qsl(arguments, keep_blank_values=True)
    elif isinstance(arguments, Mapping):
        pairs = _pairs(arguments)
    else:
        from squall.providers._wire import WireError

        raise WireError(
            f"cannot send {kind_of(arguments)} as query parameters "
            '(give "arguments" an object or a query string)'
        )
    if not pairs:
        return url
    parts = urllib.parse.urlsplit(url)
    merged: dict[str, list[str]] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        merged.setdefault(key, []).append(value)
    given: dict[str, list[str]] = {}
    for key, value in pairs:
        given.setdefault(key, []).append(value)
    merged.update(given)  # a parameter given in `arguments` replaces the URL's
    query = urllib.parse.urlencode([(k, v) for k, vs in merged.items() for v in vs])
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _form(arguments: Any) -> bytes:
    import urllib.parse

    if isinstance(arguments, Mapping):
        return urllib.parse.urlencode(_pairs(arguments)).encode()
    if isinstance(arguments, str | bytes):
        return arguments.encode() if isinstance(arguments, str) else arguments
    from squall.providers._wire import WireError

    raise WireError(
        f'cannot send {kind_of(arguments)} as a form (give "arguments" an object or a text)'
    )


def _pairs(arguments: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """Form and query pairs as httpx makes them: lists repeat the key; true/false/''."""
    pairs: list[tuple[str, str]] = []
    for key, value in arguments.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            pairs.append((str(key), _text(item)))
    return pairs


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def response_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The output's ``headers``, names spelt as the server sent them (``Content-Type``),
    as the reference returns them; a header sent more than once has its values joined
    by ", " under the first spelling of its name."""
    spelling: dict[str, str] = {}
    merged: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _timeouts(value: Any, activity_timeout: float | None) -> tuple[float | None, float | None]:
    """(connect, read) seconds; None waits for ever."""
    if isinstance(value, list | tuple) and len(value) == 2:
        connect, read = seconds(value[0]), seconds(value[1])
        if activity_timeout is not None:
            connect, read = min(connect, activity_timeout), min(read, activity_timeout)
        return connect, read
    values = [seconds(t) for t in (value, activity_timeout) if t is not None]
    return (min(values), min(values)) if values else (None, None)


def _body(response: WireResponse) -> Any:
    text = response.body.decode(_charset(response.header("Content-Type")), errors="replace")
    if response.header("Content-Type") == "application/json":
        import json

        try:
            return json.loads(response.body)
        except ValueError:
            return text
    return text


def _charset(content_type: str | None) -> str:
    """The charset of a Content-Type when Python knows it, else UTF-8 (httpx's default)."""
    if content_type:
        for parameter in content_type.split(";")[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "charset":
                import codecs

                try:
                    return codecs.lookup(value.strip().strip("'\"")).name
                except LookupError:
                    break
    return "utf-8"
