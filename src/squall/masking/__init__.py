"""The one masking layer: every text squall writes passes through :func:`mask_text` (or
:func:`mask_value` for data), so a secret never reaches a sink in clear.

A *secret* is any value an experiment's ``secrets`` resolve to (inline, environment,
Vault, a plugin's backend, ``--var-file`` secrets): each text leaf of it (numbers as their
decimal text, bytes as UTF-8) is registered with :func:`register_secrets` when the run
resolves its secrets (and, for inline secrets, as soon as the document is read). From
then on, that text is replaced by ``***`` wherever it appears inside a longer text, as
well as its usual encodings: JSON-escaped (both ``ensure_ascii`` ways), ``repr``-escaped,
and percent-encoded (URL path and query forms): in the whole process when it was
registered outside any secret scope, else in its scope (a run: see
:mod:`squall.masking.scopes`) and anywhere outside a scope.

Limits (documented in docs/safety.md): a secret shorter than :data:`MIN_LENGTH`
characters is masked only where it is a whole text, not inside other text (masking every
``"1"`` would garble the journal; a warning says so); a numeric secret is masked as a whole
number only; other transformations (base64, hashes, a substring, a value built from two
secrets) are not recognised.

This module sits below every other layer and imports nothing of squall.
"""

from __future__ import annotations

import contextlib
import threading as _threading
from collections.abc import Iterable, Iterator, Mapping

from squall.masking import scopes as _scopes
from squall.masking._masker import MASK, MIN_LENGTH, Masker, secret_texts
from squall.masking.scopes import (
    SecretScope,
    current_scope,
    open_scope,
    register_in_scope,
    run_in_context,
    scope_masker,
    secret_scope,
)

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MASK",
    "MIN_LENGTH",
    "MaskedStream",
    "Masker",
    "SecretScope",
    "current_scope",
    "mask_document",
    "mask_text",
    "mask_value",
    "masked_streams",
    "open_scope",
    "redact_url",
    "register_inline_secrets",
    "register_secrets",
    "run_in_context",
    "secret_scope",
    "secret_suffix",
    "secret_texts",
    "secrets_known",
]


class MaskedStream:
    """A text stream whose writes are masked (the CLI's stdout and stderr: whatever
    squall, a driver or a control prints goes through it).

    A secret may come in pieces (a driver writing character by character, or relaying a
    child's output in fixed-size reads): while secrets are registered, each write is
    masked alone (a short secret printed alone is a whole text), then complete lines go
    out masked again as a whole, and the end of a line waits for the next write or a
    flush; even then, an end that could begin a secret, or a cut inside one, waits for
    what follows (at most ``_HOLD_LIMIT`` characters wait)."""

    _HOLD_LIMIT = 65536

    def __init__(self, stream: Any) -> None:
        import threading

        self._stream = stream
        # its reader went away (a closed pipe, a hung-up terminal), or there is none:
        # Python's sys.stdout is None when the command was started with it closed (>&-)
        self._gone = stream is None
        self._held = ""  # the masked end of a line, not written yet
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if self._gone:
            return len(text)
        if not _scopes.any_secret and not self._held:  # ``_emit`` without the call (each
            try:  # console line comes this way: about 1 k instructions less)
                self._stream.write(text)
            except OSError:
                self._lost()
            return len(text)
        masked = mask_text(text)
        with self._lock:
            held = self._held + masked
            end = held.rfind("\n") + 1
            if len(held) - end > self._HOLD_LIMIT:
                end = len(held)
            self._release(held, end)
        return len(text)

    def _release(self, held: str, end: int) -> None:
        cut = scope_masker().safe_end(held, end) if end else 0
        self._held = held[cut:]
        if cut:
            self._emit(mask_text(held[:cut]))

    def _emit(self, text: str) -> None:
        try:
            self._stream.write(text)
        except OSError:
            self._lost()

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:  # the console flushes every line: not through __getattr__
        if self._gone:
            return
        if self._held:
            with self._lock:
                self._release(self._held, len(self._held))
        try:
            self._stream.flush()
        except OSError:
            self._lost()

    def drain(self) -> None:
        """Write what waits, for good (the stream is being given up): an end that begins
        a secret is written as ``***`` if it is long enough to be one, else as it is."""
        with self._lock:
            held, self._held = self._held, ""
        if held and not self._gone:
            start = len(held) - scope_masker().suffix(held)
            tail = held[start:]
            self._emit(mask_text(held[:start]) + (MASK if len(tail) >= MIN_LENGTH else tail))
        self.flush()

    @property
    def buffer(self) -> Any:
        """The binary layer, masked too: bytes written to it are decoded (invalid UTF-8
        replaced) and go through this stream."""
        return _MaskedBytes(self, getattr(self._stream, "encoding", None) or "utf-8")

    @property
    def lost(self) -> bool:
        """What is written goes nowhere: the reader went away, or there was none."""
        return self._gone

    def _lost(self) -> None:
        """Nobody reads any more (``squall run ... | head``, the terminal closed): the run
        goes on to its rollbacks and its journal, what it prints goes nowhere, and the
        descriptor is pointed at /dev/null so that nothing else fails on it either
        (Python's flush at exit, the next write of buffered text)."""
        import os

        self._gone = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # not a file: only this stream stops
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _MaskedBytes:
    """``MaskedStream.buffer``: bytes written go through the masked text stream (so
    ``sys.stdout.buffer.write(token)`` does not get around the masking)."""

    def __init__(self, text: MaskedStream, encoding: str) -> None:
        self._text = text
        self._encoding = encoding

    def write(self, data: bytes) -> int:
        self._text.write(bytes(data).decode(self._encoding, "replace"))
        return len(data)

    def flush(self) -> None:
        self._text.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._text._stream.buffer, name)


_STREAMS_LOCK = _threading.Lock()
#: runs inside ``masked_streams`` now, and the streams it replaced
_masking_runs = 0
_replaced: tuple[Any, Any] | None = None


@contextlib.contextmanager
def masked_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` masked for the block (a run started from Python:
    what its activities print), unless they are masked already (the ``squall``
    command); the caller's streams are put back when the last such block ends (runs in
    several threads at once share one masking)."""
    import sys

    global _masking_runs, _replaced
    with _STREAMS_LOCK:
        _masking_runs += 1
        if _masking_runs == 1 and not isinstance(sys.stdout, MaskedStream):
            _replaced = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = MaskedStream(sys.stdout), MaskedStream(sys.stderr)
    try:
        yield
    finally:
        with _STREAMS_LOCK:
            _masking_runs -= 1
            if _masking_runs == 0 and _replaced is not None:
                for stream in (sys.stdout, sys.stderr):
                    if isinstance(stream, MaskedStream):
                        stream.drain()
                sys.stdout, sys.stderr = _replaced
                _replaced = None


def register_secrets(secrets: Any) -> frozenset[str]:
    """Mask the text leaves of ``secrets`` (a value or a mapping of scopes) from now on,
    in the context's current secret scope (see :mod:`squall.masking.scopes`; outside
    any scope: everywhere, for the rest of the process); returns those too short to be
    masked inside longer texts."""
    texts = secret_texts(secrets)
    register_in_scope(texts)
    return frozenset(t for t in texts if t and len(t) < MIN_LENGTH)


def secrets_known() -> int:
    """How many secrets the calling context masks: a writer that encoded text earlier
    compares it with the count it saw then to know whether that text needs masking
    again (a secret learnt during a run, such as a ``.netrc`` password)."""
    return len(scope_masker()) if _scopes.any_secret else 0


def mask_text(text: str) -> str:
    """``text`` with every secret of the calling context replaced by ``***``: the function
    every sink calls on what it writes (console, journal, event stream, history, logs,
    notifications, error messages)."""
    if not _scopes.any_secret:
        return text
    return scope_masker().text(text)


def secret_suffix(text: str) -> int:
    """How many characters at the end of ``text`` begin a registered secret (hide them
    when ``text`` was cut from a longer one)."""
    return scope_masker().suffix(text)


def mask_value(value: Any) -> Any:
    """:func:`mask_text` applied to every text inside JSON-like data (a copy; unchanged
    parts are shared)."""
    if not _scopes.any_secret:
        return value
    return scope_masker().value(value)


def _is_reference(value: Any) -> bool:
    """An entry of the format's ``secrets`` that names where the value is (env, vault, a
    plugin's type), rather than holding it."""
    return isinstance(value, Mapping) and "type" in value


def mask_document(document: Any) -> Any:
    """An experiment document (the Chaos Toolkit format, as read) with its inline secret
    values registered and replaced by ``***``; references (``type: env``, ``vault``...)
    are kept. Works on any data, valid or not (notifications send documents that failed
    validation too)."""
    register_inline_secrets(document)
    scopes = document.get("secrets") if isinstance(document, Mapping) else None
    if not isinstance(document, Mapping) or not isinstance(scopes, Mapping):
        return mask_value(document)
    inline: dict[str, Any] = {}
    for scope, entries in scopes.items():
        if isinstance(entries, Mapping):
            inline[str(scope)] = _inline(entries)
        else:
            inline[str(scope)] = MASK
    copy = dict(document)
    copy["secrets"] = inline
    return mask_value(copy)


def register_inline_secrets(document: Any) -> None:
    """Mask the inline secret values of an experiment document (as read) from now on:
    called as soon as a document is loaded, before anything about it is printed."""
    scopes = document.get("secrets") if isinstance(document, Mapping) else None
    if isinstance(scopes, Mapping):
        register_secrets(_values(scopes))


def _inline(entries: Mapping[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = {}
    for key, value in entries.items():
        if _is_reference(value):
            masked[key] = value
        elif isinstance(value, Mapping):
            masked[key] = _inline(value)
        else:
            masked[key] = MASK
    return masked


def _values(scopes: Mapping[str, Any]) -> list[Any]:
    """The inline values of a ``secrets`` section (references left out)."""
    found: list[Any] = []
    stack: list[Any] = list(scopes.values())
    while stack:
        value = stack.pop()
        if _is_reference(value):
            continue
        if isinstance(value, Mapping):
            stack.extend(value.values())
        else:
            found.append(value)
    return found


def redact_url(url: str) -> str:
    """A URL fit for a message: its userinfo password, and the value of each query
    parameter named like a credential (``password``, ``sslpassword``, ``access_token``,
    ``client_secret``...: :data:`CREDENTIAL_PARAMETERS`), replaced by ``***`` and
    registered as secrets (a credential in a URL is a secret even when the experiment did
    not declare it: an error that echoes it is masked too), then masked."""
    if "@" not in url and "?" not in url:
        return mask_text(url)
    from urllib.parse import urlsplit, urlunsplit

    found: list[str] = []
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # urllib cannot read it (an unclosed [IPv6): its credentials still go
        url = _masked_as_text(url, found)
    else:
        if password:
            found.append(password)
            user, _, host = parts.netloc.rpartition("@")
            parts = parts._replace(netloc=f"{user.split(':', 1)[0]}:{MASK}@{host}")
        if parts.query:
            parts = parts._replace(query=_query_masked(parts.query, found))
        if found:
            url = urlunsplit(parts)
    if found:
        register_secrets(found)
    return mask_text(url)


def _query_masked(query: str, found: list[str]) -> str:
    """``query`` with the value of each parameter named like a credential replaced by
    ``***`` (the values added to ``found``)."""
    from urllib.parse import unquote

    pieces = []
    for piece in query.split("&"):
        name, equals, value = piece.partition("=")
        if equals and value and _credential_name(unquote(name)):
            found.append(unquote(value))
            piece = f"{name}={MASK}"
        pieces.append(piece)
    return "&".join(pieces)


def _masked_as_text(url: str, found: list[str]) -> str:
    """``url``'s ``user:password@`` and query credentials read as text and masked (the
    values added to ``found``): for a URL that urllib refuses to split."""
    head, question, query = url.partition("?")
    if question:
        query, hash_, fragment = query.partition("#")
        head = head + question + _query_masked(query, found) + hash_ + fragment
    scheme, sep, rest = head.partition("://")
    ends = [at for at in (rest.find(c) for c in "/?#") if at >= 0]
    end = min(ends, default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not (sep and at and colon and password):
        return head
    found.append(password)
    return f"{scheme}://{user}:{MASK}@{host}{rest[end:]}"


#: a query parameter whose name holds one of these (any case) carries a credential
CREDENTIAL_PARAMETERS = ("password", "passwd", "pwd", "secret", "token")


def _credential_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in CREDENTIAL_PARAMETERS)
