"""squall's stand-in for ``chaoslib`` (served only when chaostoolkit-lib is missing).

It serves the public names published drivers and controls import from ``chaoslib``
(surveyed in their sources; the list is in docs/extending/chaoslib.md). Anything
else needs the real package: the import error says to install chaostoolkit-lib.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from squall._version import CHAOSLIB_VERSION
from squall.compat.chaoslib.exceptions import ActivityFailed
from squall.compat.chaoslib.types import (
    Configuration,
    ConfigVars,
    Experiment,
    Secrets,
    SecretVars,
)

__all__ = [
    "ActivityFailed",
    "ConfigVars",
    "Configuration",
    "Experiment",
    "PayloadEncoder",
    "SecretVars",
    "Secrets",
    "__version__",
    "canonical_json",
    "decode_bytes",
    "experiment_hash",
    "substitute",
]

#: the chaostoolkit-lib version whose behaviour squall follows, marked as a stand-in
__version__ = f"{CHAOSLIB_VERSION}+squall-compat"


def decode_bytes(data: bytes, default_encoding: str = "utf-8") -> str:
    """Decode with ``default_encoding``, else Latin-1 (never fails)."""
    try:
        return data.decode(default_encoding)
    except UnicodeDecodeError:
        return data.decode("latin-1")


def __getattr__(name: str) -> Any:
    """``PayloadEncoder`` is made when a module asks for it: it needs ``json``, ``uuid``
    (which imports ``platform``), ``decimal`` and ``datetime``, which a run whose controls
    only register event handlers does not (this package is imported for them)."""
    if name == "PayloadEncoder":
        from squall.compat.chaoslib._encoder import PayloadEncoder

        return PayloadEncoder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def canonical_json(experiment: Experiment) -> bytes:
    """The experiment as compact JSON with sorted keys (keys that are not text, numbers
    or booleans left out), UTF-8 encoded: what ``experiment_hash`` hashes."""
    import json

    return json.dumps(experiment, skipkeys=True, sort_keys=True, indent=None).encode("utf-8")


def experiment_hash(experiment: Experiment, hash_algo: str | None = None) -> str:
    """Hex digest of ``canonical_json(experiment)``: BLAKE2b of 12 bytes by default, or
    any algorithm ``hashlib`` offers here (same values as chaoslib's).

    Raises:
        ValueError: ``hash_algo`` is not available.
    """
    import hashlib

    data = canonical_json(experiment)
    if hash_algo is None:
        return hashlib.blake2b(data, digest_size=12).hexdigest()
    if hash_algo not in hashlib.algorithms_available:
        raise ValueError(f"Unsupported hashlib algorithm: '{hash_algo}'")
    return hashlib.new(hash_algo, data).hexdigest()


def substitute(data: Any, configuration: Configuration, secrets: Secrets) -> Any:
    """``${name}`` replaced by the configuration's value, else the first secret scope's
    that has it (``string.Template`` rules, unknown names left as they are; a string
    that is one placeholder becomes the value itself). ``data`` is not changed."""
    if not data:
        return data
    from collections import ChainMap

    scopes = [s for s in (secrets or {}).values() if isinstance(s, Mapping)]
    lookup: Mapping[str, Any] = ChainMap(dict(configuration or {}), *map(dict, scopes))
    return _substituted(data, lookup)


def _substituted(value: Any, lookup: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        return _text(value, lookup)
    if isinstance(value, dict):
        return {k: _substituted(v, lookup) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_substituted(v, lookup) for v in value]
    return value


def _text(value: str, lookup: Mapping[str, Any]) -> Any:
    from string import Template

    if value.startswith("${") and value.endswith("}") and value[2:-1] in lookup:
        name = value[2:-1]
        if name.isidentifier():
            return lookup[name]
    return Template(value).safe_substitute(lookup)
