"""SQ601: a literal password or token written into the experiment.

Flagged: a secrets entry whose value is a literal string (not an ``env`` or ``vault``
source, not a ``${name}``); a configuration entry, activity argument or http header whose
key names a credential (password, passwd, secret, token, api_key, apikey, private_key,
credentials, authorization) and whose value is a literal string; a process argument like
``--password=hunter2``. Keys that name where a secret lives (``*_file``, ``*_path``,
``*_url``, ``*_field``...) are not credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from squall.experiment._reader import pointer_join
from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.lint.walk import leaves, provider_raw
from squall.show import show_value

__all__ = ["check", "looks_like_credential_key"]

_CREDENTIAL = re.compile(
    r"(password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key|credentials?|"
    r"authorization)",
    re.IGNORECASE,
)
_NOT_A_VALUE = re.compile(
    r"[_-](file|path|dir|url|uri|env|var|name|type|header|field|id|ttl|length|count)$",
    re.IGNORECASE,
)
_FLAG = re.compile(r"^--?(password|passwd|token|secret|api-key|apikey)=(?P<value>.+)$")
_FIX = "read it from the environment or Vault: {\"type\": \"env\", \"key\": \"...\"} in " \
    "\"secrets\", then use ${name}"  # fmt: skip


def looks_like_credential_key(key: str) -> bool:
    return bool(_CREDENTIAL.search(key)) and not _NOT_A_VALUE.search(key)


def _literal(value: Any) -> bool:
    """A non-empty string that substitution does not replace."""
    return isinstance(value, str) and bool(value.strip()) and "${" not in value


def check(ctx: Context) -> Iterator[Finding]:
    experiment = ctx.experiment
    for scope, entries in experiment.secrets.items():
        for key, value in entries.items():
            if _literal(value):
                where = pointer_join(pointer_join("/secrets", scope), key)
                yield _found(where, f"secret {scope}.{key} is written inline", key)
    for key, value in experiment.configuration.items():
        if looks_like_credential_key(key) and _literal(value):
            where = pointer_join("/configuration", key)
            yield _found(where, f"configuration {show_value(key)} holds a literal credential", key)
    for activity in experiment.activities():
        raw = provider_raw(activity)
        for part in ("arguments", "headers"):
            base = f"{activity.pointer}/provider/{part}"
            yield from _in_arguments(raw.get(part), base, activity.name)


def _in_arguments(value: Any, base: str, name: str) -> Iterator[Finding]:
    if value is None:
        return
    for pointer, key, leaf in leaves(value, base):
        if not _literal(leaf):
            continue
        flag = _FLAG.match(leaf) if isinstance(value, list) else None
        if flag and _literal(flag.group("value")):
            yield _found(pointer, f"activity {show_value(name)} passes a literal credential", name)
        elif isinstance(value, Mapping) and looks_like_credential_key(key):
            yield _found(
                pointer, f"activity {show_value(name)}: '{key}' is a literal credential", name
            )


def _found(pointer: str, message: str, subject: str) -> Finding:
    return finding(rule("SQ601"), pointer, message, _FIX, subject)
