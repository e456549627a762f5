"""JSON text without importing :mod:`json`: its C accelerator (``_json``) used directly.

``import json`` costs a run about 5.6 M instructions, and ``re`` 8.4 M more, which json
imports to compile patterns its C scanner never uses (docs/performance.md, issue 14's
eighth pass). ``dumps`` and ``loads`` here give the same text, the same values and the
same errors as :func:`json.dumps` and :func:`json.loads` for the arguments they take, by
calling the same C encoder and scanner with the same settings. What the C functions do
not cover is delegated to :mod:`json` itself, imported then: ``indent`` (the
pure-Python encoder), bytes input (encoding detection), and building the error of a
document that cannot be parsed (:class:`json.JSONDecodeError`, read here as
``_json.JSONDecodeError``: ``except _json.JSONDecodeError`` imports json only when an
exception reaches that clause).
"""

from __future__ import annotations

import sys
from _json import (
    encode_basestring,
    encode_basestring_ascii,
    make_encoder,
    make_scanner,
    scanstring,
)
from types import SimpleNamespace

from squall._lazy import lazy_attributes

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Callable
    from json import JSONDecodeError
    from typing import Any

__all__ = ["JSONDecodeError", "dumps", "encode_text", "loads", "make_encoder", "scanstring"]

__getattr__ = lazy_attributes(globals(), {"JSONDecodeError": "json"}, __name__)

#: a string as JSON text, non-ASCII kept (json.dumps(text, ensure_ascii=False))
encode_text = encode_basestring

_SPACE = " \t\n\r"  # what json's decoder skips around a document
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


def _refuse(value: object) -> Any:
    """json.JSONEncoder.default: what JSON cannot encode is an error, worded as json's."""
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def dumps(
    value: object,
    *,
    ensure_ascii: bool = True,
    allow_nan: bool = True,
    default: Callable[[Any], Any] | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
    check_circular: bool = True,
    indent: int | None = None,
) -> str:
    """:func:`json.dumps` with these arguments: the same text (the C encoder, as json
    uses it when ``indent`` is None; with an ``indent``, json itself)."""
    if indent is not None:
        import json

        return json.dumps(
            value,
            ensure_ascii=ensure_ascii,
            allow_nan=allow_nan,
            default=default,
            separators=separators,
            sort_keys=sort_keys,
            check_circular=check_circular,
            indent=indent,
        )
    text = encode_basestring_ascii if ensure_ascii else encode_basestring
    if isinstance(value, str):
        return text(value)
    item, key = separators or (", ", ": ")
    markers: dict[int, Any] | None = {} if check_circular else None
    encoder = make_encoder(
        markers, default or _refuse, text, None, key, item, sort_keys, False, allow_nan
    )
    return "".join(encoder(value, 0))


def _scanner(
    parse_int: Callable[[str], Any] | None,
    parse_float: Callable[[str], Any] | None,
    parse_constant: Callable[[str], Any] | None,
) -> Callable[[str, int], tuple[Any, int]]:
    """The C scanner with json.JSONDecoder's settings (strict, no object hooks)."""
    context = SimpleNamespace(
        strict=True,
        object_hook=None,
        object_pairs_hook=None,
        parse_int=parse_int or int,
        parse_float=parse_float or float,
        parse_constant=parse_constant or _CONSTANTS.__getitem__,
        memo={},
    )
    return make_scanner(context)  # type: ignore[arg-type]  # a duck-typed context


_plain = _scanner(None, None, None)


def loads(
    text: str | bytes | bytearray,
    *,
    parse_int: Callable[[str], Any] | None = None,
    parse_float: Callable[[str], Any] | None = None,
    parse_constant: Callable[[str], Any] | None = None,
) -> Any:
    """:func:`json.loads` with these arguments: the same value, or the same error.

    On a document that cannot be parsed the hooks may be called twice for the values
    before the error (the error is built by a second scan once json is imported)."""
    if not isinstance(text, str) or text.startswith("\ufeff"):
        import json  # bytes (encoding detection), or the BOM's error

        return json.loads(
            text, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant
        )
    hooks = parse_int or parse_float or parse_constant
    scan = _scanner(parse_int, parse_float, parse_constant) if hooks else _plain
    try:
        return _decode(scan, text)
    except SystemError:
        # Python 3.11's C scanner builds its error from json.decoder only when that is
        # already imported (a SystemError otherwise): import it, and scan again
        if "json.decoder" in sys.modules:
            raise
        import json.decoder

        return _decode(scan, text)


def _decode(scan: Callable[[str, int], tuple[Any, int]], text: str) -> Any:
    """json.JSONDecoder.decode: one value, only whitespace around it."""
    at = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = scan(text, at)
    except StopIteration as stop:
        raise _error("Expecting value", text, stop.value) from None
    if end != len(text):
        rest = text[end:]
        end += len(rest) - len(rest.lstrip(_SPACE))
        if end != len(text):
            raise _error("Extra data", text, end)
    return value


def _error(message: str, text: str, at: int) -> Exception:
    from json import JSONDecodeError

    return JSONDecodeError(message, text, at)
