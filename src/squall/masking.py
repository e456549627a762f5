"""The one masking layer: every text squall writes passes through :func:`mask_text` (or
:func:`mask_value` for data), so a secret never reaches a sink in clear.

A *secret* is any value an experiment's ``secrets`` resolve to (inline, environment,
Vault, a plugin's backend, ``--var-file`` secrets): each text leaf of it (numbers as their
decimal text, bytes as UTF-8) is registered with :func:`register_secrets` when the run
resolves its secrets (and, for inline secrets, as soon as the document is read). From
then on, in this process, that text is replaced by ``***`` wherever it appears inside a
longer text, as well as its usual encodings: JSON-escaped (both ``ensure_ascii`` ways),
``repr``-escaped, and percent-encoded (URL path and query forms).

Limits (documented in docs/safety.md): a secret shorter than :data:`MIN_LENGTH`
characters is masked only where it is a whole text, not inside other text (masking every
``"1"`` would garble the journal; a warning says so); a numeric secret is masked as a whole
number only; other transformations (base64, hashes, a substring, a value built from two
secrets) are not recognised.

This module sits below every other layer and imports nothing of squall.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "MIN_LENGTH",
    "MaskedStream",
    "Masker",
    "mask_document",
    "mask_text",
    "mask_value",
    "redact_url",
    "register_inline_secrets",
    "register_secrets",
    "secret_suffix",
    "secret_texts",
]

#: What a secret is replaced with.
MASK = "***"

#: Secrets shorter than this are not masked inside longer texts (see the module's doc).
MIN_LENGTH = 4


def secret_texts(secrets: Any) -> list[str]:
    """Every text leaf of a secret value (mappings, lists, numbers, bytes walked)."""
    found: list[str] = []
    stack = [secrets]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, bytes | bytearray):
            found.append(bytes(value).decode("utf-8", "replace"))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | float):
            found.append(str(value))
        elif isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)
    return found


def _forms(secret: str) -> set[str]:
    """The secret and the encodings it commonly appears in."""
    import json
    from urllib.parse import quote, quote_plus

    forms = {
        secret,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
    }
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _expression(needle: str) -> str:
    """A numeric secret is masked as a whole number, not as digits inside another number
    (a duration ``0.0012345`` does not reveal, nor hide, the secret ``2345``)."""
    import re

    escaped = re.escape(needle)
    if needle.strip("0123456789.") == "":
        return f"(?<![0-9]){escaped}(?![0-9])"
    return escaped


class MaskedStream:
    """A text stream whose writes are masked (the CLI's stdout and stderr: whatever
    squall, a driver or a control prints goes through it)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_text(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Masker:
    """A set of secret texts and what replaces them. Thread-safe: adding builds a new
    pattern and swaps it in; masking reads one consistent snapshot."""

    __slots__ = ("_lock", "_needles", "_pattern", "_secrets", "_short")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        #: secrets too short to be masked inside longer texts
        self._short: set[str] = set()
        self._needles: tuple[str, ...] = ()
        self._pattern: Any = None
        self.add(secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    @property
    def too_short(self) -> frozenset[str]:
        """The non-empty secrets shorter than MIN_LENGTH (not masked inside texts)."""
        return frozenset(self._short)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these texts from now on (empty texts are ignored)."""
        with self._lock:
            new = {s for s in secrets if s and s not in self._secrets}
            if not new:
                return
            self._secrets |= new
            self._short |= {s for s in new if len(s) < MIN_LENGTH}
            needles = set(self._needles)
            for secret in new:
                if len(secret) >= MIN_LENGTH:
                    needles |= _forms(secret)
            import re

            ordered = tuple(sorted(needles, key=lambda n: (-len(n), n)))  # longest first
            pattern = re.compile("|".join(_expression(n) for n in ordered)) if ordered else None
            self._needles, self._pattern = ordered, pattern

    def text(self, text: str) -> str:
        """``text`` with every secret (and its encodings) replaced by ``***``."""
        needles, pattern = self._needles, self._pattern
        if text in self._short:  # a short secret is masked when it is the whole text
            return MASK
        if pattern is None or not any(n in text for n in needles):
            return text
        return str(pattern.sub(MASK, text))

    def suffix(self, text: str) -> int:
        """The length of the longest end of ``text`` that begins a secret (a text cut
        inside a secret would show its start): 0 when none does."""
        longest = 0
        for needle in self._needles:
            for size in range(min(len(needle) - 1, len(text)), longest, -1):
                if text.endswith(needle[:size]):
                    longest = size
                    break
        return longest

    def value(self, value: Any) -> Any:
        """A copy of ``value`` (JSON-like data) with every text masked; what holds no
        secret is returned as is (not copied). Keys are masked too."""
        if not self._secrets:
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            items = [(self._walk(k), self._walk(v)) for k, v in value.items()]
            if all(
                k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)
            ):
                return value
            return dict(items)
        if isinstance(value, list | tuple):
            walked = [self._walk(v) for v in value]
            if all(w is v for w, v in zip(walked, value, strict=True)):
                return value
            return walked if isinstance(value, list) else tuple(walked)
        if isinstance(value, bytes | bytearray):
            text = bytes(value).decode("utf-8", "replace")
            masked = self.text(text)
            return value if masked is text else masked.encode("utf-8")
        if isinstance(value, int | float | bool) or value is None:
            return value
        text = str(value)  # an object the journal would write as its str()
        masked = self.text(text)
        return value if masked is text else masked


#: The process's masker: every run adds the secrets it resolves (they stay masked for the
#: rest of the process: a later message about an earlier run must not reveal them).
_MASKER = Masker()


def register_secrets(secrets: Any) -> frozenset[str]:
    """Mask the text leaves of ``secrets`` (a value or a mapping of scopes) everywhere
    from now on; returns those too short to be masked inside longer texts."""
    texts = secret_texts(secrets)
    _MASKER.add(texts)
    return frozenset(t for t in texts if t and len(t) < MIN_LENGTH)


def mask_text(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``: the function every sink
    calls on what it writes (console, journal, event stream, history, logs,
    notifications, error messages)."""
    return _MASKER.text(text)


def secret_suffix(text: str) -> int:
    """How many characters at the end of ``text`` begin a registered secret (hide them
    when ``text`` was cut from a longer one)."""
    return _MASKER.suffix(text)


def mask_value(value: Any) -> Any:
    """:func:`mask_text` applied to every text inside JSON-like data (a copy; unchanged
    parts are shared)."""
    return _MASKER.value(value)


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
    """A URL fit for a message: its userinfo password replaced by ``***`` (a password in a
    URL is a secret even when the experiment did not declare it), then masked."""
    if "@" in url:
        from urllib.parse import urlsplit, urlunsplit

        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:  # not a URL after all: mask what is known
            return mask_text(url)
        if password:
            user, _, host = parts.netloc.rpartition("@")
            name = user.split(":", 1)[0]
            url = urlunsplit(parts._replace(netloc=f"{name}:{MASK}@{host}"))
    return mask_text(url)
