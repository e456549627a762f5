"""The set of secret texts and the masking of text and data with it (no squall imports)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

#: What a secret is replaced with.
MASK = "***"

#: Secrets shorter than this are not masked inside longer texts (see squall.masking).
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

    def __len__(self) -> int:
        """How many secrets it masks (a count that only grows)."""
        return len(self._secrets)

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

    def safe_end(self, text: str, end: int) -> int:
        """Where ``text`` may be cut, at ``end`` or before it, so that ``text[:cut]``, once
        masked, shows no part of a secret: the cut neither leaves the start of a secret at
        the end nor falls inside a secret found in ``text``."""
        pattern = self._pattern
        if pattern is None:
            return end
        while True:
            cut = end - self.suffix(text[:end])
            for found in pattern.finditer(text):
                if found.start() < cut < found.end():
                    cut = found.start()
                    break
            if cut == end:
                return cut
            end = cut

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
