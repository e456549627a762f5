"""The http provider's URL splitter gives what ``urllib.parse.urlsplit`` gives, and a run of
plain http activities imports neither ``urllib.parse`` nor ``socket`` (3 ms each)."""

from __future__ import annotations

import urllib.parse

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from squall.providers._url import split

_CHARS = "aZ09-._~:/?#[]@!$&'()*+,;=%" + "é \t"
_pieces = st.sampled_from(
    ["http://", "https://", "HTTP://", "ftp://", "//", ":", "@", "[::1]", "/", "?", "#", "%41"]
)
_text = st.text(alphabet=_CHARS, max_size=8)
_urls = st.lists(st.one_of(_pieces, _text), max_size=8).map("".join)
_hosts = st.from_regex(r"[a-zA-Z0-9.\-]{1,12}", fullmatch=True)
_ports = st.one_of(st.just(""), st.integers(0, 99999).map(lambda p: f":{p}"), st.just(":"))
_plain = st.builds(
    lambda scheme, host, port, rest: f"{scheme}://{host}{port}{rest}",
    st.sampled_from(["http", "https"]),
    _hosts,
    _ports,
    st.text(alphabet="az09/?#=&%:.", max_size=12),
)


def _reference(url: str) -> tuple[str, str, str, int | None, str] | str:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        return f"ValueError {exc}"
    try:
        port = parts.port
    except ValueError:
        port = -1
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = (parts.hostname or "").lower()
    return parts.scheme.lower(), parts.netloc, host, port, target


def _ours(url: str) -> tuple[str, str, str, int | None, str] | str:
    try:
        parts = split(url)
    except ValueError as exc:
        return f"ValueError {exc}"
    return parts.scheme, parts.netloc, parts.host, parts.port, parts.target


@settings(max_examples=600)
@given(st.one_of(_plain, _urls))
@example("http://127.0.0.1:8080/index.html?a=1#frag")
@example("http://Host.Example:0/")
@example("http://host:/x")
@example("http://host:65536/x")
@example("http://host:000080/x")
@example("http://u:p@host/x")
@example("http://[::1]:80/x")
@example("http://[x/")
@example("http://host#?x")
@example("http://a/b://c")
def test_split_is_urlsplit(url: str) -> None:
    assert _ours(url) == _reference(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/index.html", "https://example.com/a?b=c", "http://x.test"]
)
def test_common_urls_take_the_fast_path(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import squall.providers._url as module

    def refuse(url: str) -> None:
        raise AssertionError(f"{url} went to urlsplit")

    monkeypatch.setattr(module, "_slow", refuse)
    assert split(url).target.startswith("/")
