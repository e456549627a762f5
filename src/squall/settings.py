"""The settings file (YAML): loader auths, global controls, notifications, runtime strategies.

Location: ``--settings``, else ``$SQUALL_SETTINGS``, else ``~/.squall/settings.yaml``; when
that does not exist and the Chaos Toolkit's ``~/.chaostoolkit/settings.yaml`` does, that one
is read (so existing set-ups keep working).
Keys are addressed with dots (``runtime.rollbacks.strategy``); ``\\.`` escapes a dot inside
a key (``auths.example\\.com.type``) and ``name[2]`` indexes a list.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from squall.errors import InputError
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "default_settings_path",
    "get_key",
    "is_secret_key",
    "load_settings",
    "masked_settings",
    "remove_key",
    "save_settings",
    "set_key",
    "url_origin",
    "use_settings_path",
]

#: ``key[3]`` (compiled by ``re`` on first use: only ``squall settings`` needs it)
_INDEX = r"^(.*)\[(\d+)\]$"
#: the settings file is read no further than this (the experiment's document limit's
#: default): a wrong --settings (a log, /dev/zero) is refused, not read into memory
MAX_BYTES = 16 << 20


StrPath = str | os.PathLike[str]


#: the command's ``--settings`` (set once by the command line), else None
_COMMAND_PATH: str | None = None


def use_settings_path(path: str | None) -> None:
    """Make ``path`` (the command line's ``--settings``) the settings file of the rest of
    the process: what :func:`default_settings_path` names, so that a driver or control
    reading "the settings" (``chaoslib.settings.get_loaded_settings``) reads the same file
    as the command."""
    global _COMMAND_PATH
    _COMMAND_PATH = os.path.abspath(path) if path else None


def default_settings_path() -> str:
    """``--settings``, else ``$SQUALL_SETTINGS``, else squall's (or the Chaos Toolkit's)
    file in the home directory."""
    if _COMMAND_PATH:
        return _COMMAND_PATH
    env = os.environ.get("SQUALL_SETTINGS")
    if env:
        return env
    home = os.path.expanduser("~")
    own = os.path.join(home, ".squall", "settings.yaml")
    legacy = os.path.join(home, ".chaostoolkit", "settings.yaml")
    return legacy if not os.path.exists(own) and os.path.exists(legacy) else own


def load_settings(path: StrPath | None = None) -> dict[str, Any]:
    """The settings as a mapping; a missing file gives an empty one.

    Raises:
        InputError: the file is not valid YAML or not a mapping.
    """
    path = os.fspath(path or default_settings_path())
    try:
        with open(path, "rb") as handle:  # no further than a document may be
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read settings {path}: {exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(
            f"settings {path}: the file is larger than {MAX_BYTES:,} bytes (is it the right file?)"
        )
    import yaml

    # the C loader when there is one: it is faster, and it refuses a nesting deeper than
    # 1,000 levels with its place, where the pure-Python one recurses until Python stops it
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        raise InputError(f"settings {path} are not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"settings {path}: nesting deeper than squall can read") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"settings {path} must be a mapping at the top level")
    return data


def save_settings(settings: dict[str, Any], path: StrPath | None = None) -> str:
    """Write the settings (mode 0600: they may hold credentials)."""
    import yaml

    path = os.fspath(path or default_settings_path())
    from squall._files import special_file

    if special_file(path):  # the rename would replace the device (/dev/null) itself
        raise InputError(f"settings {path} is not a regular file: not written")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump(settings, sort_keys=False))
    os.replace(tmp, path)
    return path


def _tokens(key: str) -> list[str | int]:
    import re  # only for settings keys (squall settings set/get)

    parts = re.split(r"(?<!\\)\.", key)
    out: list[str | int] = []
    for part in parts:
        part = part.replace("\\.", ".")
        indexes: list[int] = []
        match = re.match(_INDEX, part)
        while match:
            indexes.insert(0, int(match.group(2)))
            part = match.group(1)
            match = re.match(_INDEX, part)
        if part:
            out.append(part)
        out.extend(indexes)
    if not out:
        raise InputError(f"empty settings key {show_value(key)}")
    return out


def _walk(settings: Any, tokens: list[str | int], key: str, create: bool) -> Any:
    node = settings
    for token in tokens:
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                raise KeyError(key)
            node = node[token]
        elif isinstance(node, MutableMapping):
            if token not in node:
                if not create:
                    raise KeyError(key)
                node[token] = {}
            node = node[token]
        else:
            raise KeyError(key)
    return node


def get_key(settings: dict[str, Any], key: str) -> Any:
    """Raises KeyError when the key does not exist."""
    return _walk(settings, _tokens(key), key, create=False)


def set_key(settings: dict[str, Any], key: str, value: Any) -> None:
    """Set a value, creating missing levels (the reference can only replace)."""
    tokens = _tokens(key)
    parent = _walk(settings, tokens[:-1], key, create=True)
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(parent, list) or last > len(parent):
            raise KeyError(key)
        if last == len(parent):
            parent.append(value)
        else:
            parent[last] = value
    elif isinstance(parent, MutableMapping):
        parent[last] = value
    else:
        raise KeyError(key)


def remove_key(settings: dict[str, Any], key: str) -> None:
    """Raises KeyError when the key does not exist."""
    tokens = _tokens(key)
    parent = _walk(settings, tokens[:-1], key, create=False)
    last = tokens[-1]
    try:
        del parent[last]
    except (KeyError, IndexError, TypeError):
        raise KeyError(key) from None


#: parts of a key's name (lower case, ``-`` read as ``_``) that say its value is a
#: credential: masked when settings are printed (``api_key``, ``vault_token``,
#: ``Authorization`` headers, ``password``...)
SECRET_NAME_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "authorization",
    "cookie",
)


def masked_settings(settings: Any) -> Any:
    """A copy of settings data fit to print: the values of credential-like keys
    (:data:`SECRET_NAME_PARTS`, and each ``auths`` entry's ``value``) replaced by ``***``
    and registered as secrets (no other output shows them either), passwords and
    tokens in URLs redacted (``redact_url``). Paths (``tls_key``, ``key_file``) are not
    credentials and stay."""
    from squall.masking import MASK, redact_url, register_secrets

    found: list[Any] = []

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        if path and _is_secret_key(path):
            found.append(value)
            return MASK
        if path == ("notifications", "url") and isinstance(value, str):
            shown = url_origin(value)
            if shown != value:
                found.append(value)  # a webhook's URL holds its token (path or query)
            return shown
        if isinstance(value, dict):
            return {k: walk(v, (*path, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path) for v in value]
        if isinstance(value, str) and "://" in value and ("@" in value or "?" in value):
            return redact_url(value)
        return value

    masked = walk(settings, ())
    register_secrets(found)
    return masked


def url_origin(url: str) -> str:
    """A webhook URL fit to show: its scheme and host, with ``/…`` for a path or query
    (where webhooks keep their token: Slack, Teams, Discord...)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "a URL that cannot be read"
    rest = "/…" if parts.path.strip("/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{rest}" if parts.scheme else "a URL without a scheme"


def is_secret_key(key: str) -> bool:
    """Whether the value of ``key`` (dotted, as ``settings set`` takes it) is a credential,
    masked when settings are printed."""
    return _is_secret_key(tuple(str(t) for t in _tokens(key) if isinstance(t, str)))


def _is_secret_key(path: tuple[str, ...]) -> bool:
    name = path[-1].lower().replace("-", "_")
    if len(path) == 3 and path[0] == "auths" and name == "value":
        return True
    return any(part in name for part in SECRET_NAME_PARTS)
