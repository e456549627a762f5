"""Portable type names of discovered arguments (the Chaos Toolkit's names)."""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

__all__ = ["PORTABLE_TYPES", "portable_type"]

PORTABLE_TYPES = (
    "null",
    "boolean",
    "integer",
    "number",
    "string",
    "byte",
    "set",
    "tuple",
    "list",
    "mapping",
    "object",
)

_BY_CLASS: dict[Any, str] = {
    type(None): "null",
    None: "null",
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    bytes: "byte",
    set: "set",
    frozenset: "set",
    tuple: "tuple",
    list: "list",
    dict: "mapping",
    collections.abc.Mapping: "mapping",
    collections.abc.MutableMapping: "mapping",
    collections.abc.Set: "set",
    collections.abc.Sequence: "list",
    collections.abc.MutableSequence: "list",
}

_BY_NAME = {
    "None": "null",
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "str": "string",
    "bytes": "byte",
    "set": "set",
    "frozenset": "set",
    "tuple": "tuple",
    "list": "list",
    "dict": "mapping",
    "Mapping": "mapping",
    "Dict": "mapping",
    "List": "list",
    "Set": "set",
    "Tuple": "tuple",
    "Sequence": "list",
}


def portable_type(annotation: Any) -> str:
    """The portable name of an annotation: generic aliases map to their origin, unions
    (``Optional`` included) and anything unknown to ``object``."""
    if isinstance(annotation, str):  # an annotation that could not be evaluated
        text = annotation.strip()
        if "|" in text or text.startswith(("Optional[", "Union[")):
            return "object"
        return _BY_NAME.get(text.split("[", 1)[0].rsplit(".", 1)[-1], "object")
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return "object"
    origin = typing.get_origin(annotation)
    if origin is not None:
        annotation = origin
    try:
        return _BY_CLASS.get(annotation, "object")
    except TypeError:  # unhashable annotation
        return "object"
