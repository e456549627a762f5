"""squall.proxies: which proxy a request goes through, read from an environment as
requests (urllib's getproxies_environment) reads it, plus squall's two rules (loopback
never proxied, NO_PROXY by whole labels)."""

from __future__ import annotations

import os
import urllib.request
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from squall.proxies import Proxies, ProxyError, _environment_proxies

P = "http://proxy.corp:3128"


def _for(env: dict[str, str], url: str) -> str | None:
    scheme, _, rest = url.partition("://")
    host, _, port = rest.partition("/")[0].rpartition(":")
    return Proxies(env).for_url(scheme, host.strip("[]"), int(port))


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({}, "http://a.example:80", None),
        ({"HTTP_PROXY": P}, "http://a.example:80", P),
        ({"HTTP_PROXY": P}, "https://a.example:443", None),
        ({"HTTPS_PROXY": P}, "https://a.example:443", P),
        ({"ALL_PROXY": P}, "https://a.example:443", P),
        ({"all_proxy": P, "https_proxy": "http://s:1"}, "https://a.example:443", "http://s:1"),
        ({"HTTP_PROXY": "proxy.corp:3128"}, "http://a.example:80", P),  # scheme-less
        ({"HTTP_PROXY": "http://upper:1", "http_proxy": P}, "http://a.example:80", P),
        ({"HTTP_PROXY": P, "http_proxy": ""}, "http://a.example:80", None),  # unset by lower
        ({"HTTP_PROXY": P, "REQUEST_METHOD": "GET"}, "http://a.example:80", None),  # CGI
        ({"HTTP_PROXY": P}, "http://localhost:80", None),
        ({"HTTP_PROXY": P}, "http://api.localhost:80", None),
        ({"HTTP_PROXY": P}, "http://127.0.0.2:80", None),
        ({"HTTP_PROXY": P}, "http://[::1]:80", None),
        ({"HTTP_PROXY": P}, "http://10.1.2.3:80", P),
        ({"HTTP_PROXY": P, "NO_PROXY": "example"}, "http://a.example:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "a.example"}, "http://A.Example.:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "example.com"}, "http://badexample.com:80", P),
        ({"HTTP_PROXY": P, "NO_PROXY": "example.com"}, "http://x.example.com:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "*.example.com"}, "http://example.com:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "a.example:8080"}, "http://a.example:80", P),
        ({"HTTP_PROXY": P, "NO_PROXY": "a.example:8080"}, "http://a.example:8080", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "http://10.1.2.3:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "http://11.1.2.3:80", P),
        ({"HTTP_PROXY": P, "NO_PROXY": "10.1.2.3"}, "http://10.1.2.3:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "fd00::/8"}, "http://[fd00::5]:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "[fd00::5]:80"}, "http://[fd00::5]:80", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "[fd00::5]:81"}, "http://[fd00::5]:80", P),
        ({"HTTP_PROXY": P, "NO_PROXY": " x.test , * "}, "http://a.example:80", None),
        ({"HTTP_PROXY": P, "no_proxy": "a.example", "NO_PROXY": ""}, "http://a.example:80", None),
    ],
)
def test_the_proxy_of_a_request(env: dict[str, str], url: str, expected: str | None) -> None:
    assert _for(env, url) == expected


@given(
    st.dictionaries(
        st.sampled_from(
            ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "no_proxy"]
        ),
        st.sampled_from(["", "http://p1:1", "http://p2:2", "*"]),
    ),
    st.booleans(),
)
def test_the_environment_is_read_as_urllib_reads_it(env: dict[str, str], cgi: bool) -> None:
    if cgi:
        env = {**env, "REQUEST_METHOD": "GET"}
    with mock.patch.dict(os.environ, env, clear=True):  # urllib reads os.environ only
        expected = urllib.request.getproxies_environment()
    assert _environment_proxies(env) == expected


def test_a_proxy_squall_cannot_use_is_refused_with_its_password_hidden() -> None:
    proxies = Proxies({"HTTPS_PROXY": "socks5h://u:topsecret@127.0.0.1:1080"})
    with pytest.raises(ProxyError) as caught:
        proxies.for_url("https", "a.example", 443)
    assert "topsecret" not in str(caught.value) and "u:***@" in str(caught.value)
    assert proxies.for_url("https", "localhost", 443) is None  # not asked: no error
