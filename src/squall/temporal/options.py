"""Where squall finds its Temporal server: command-line values, then the environment
(``SQUALL_TEMPORAL_*``), then the settings file's ``temporal:`` section, then defaults.

No temporalio here: resolving (and validating) the options is cheap, and a bad value is
bad input (exit 2) with a message naming where the value came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from squall._record import Record
from squall.errors import InputError
from squall.experiment.booleans import parse_bool
from squall.settings import default_settings_path, load_settings
from squall.show import kind_of, show_value
from squall.temporal import names
from squall.temporal.keys import PayloadKey, parse_keys, read_key_file

__all__ = ["SETTINGS_KEYS", "ConnectOptions", "resolve_options"]

#: field -> (command-line flag or "", environment variable, settings key)
_SOURCES: dict[str, tuple[str, str, str]] = {
    "address": ("--address", names.ENV_ADDRESS, "address"),
    "namespace": ("--namespace", names.ENV_NAMESPACE, "namespace"),
    "task_queue": ("--task-queue", names.ENV_TASK_QUEUE, "task_queue"),
    "tls": ("--tls", names.ENV_TLS, "tls"),
    "tls_cert": ("--tls-cert", names.ENV_TLS_CERT, "tls_cert"),
    "tls_key": ("--tls-key", names.ENV_TLS_KEY, "tls_key"),
    "tls_ca": ("--tls-ca", names.ENV_TLS_CA, "tls_ca"),
    "tls_server_name": ("--tls-server-name", names.ENV_TLS_SERVER_NAME, "tls_server_name"),
    "api_key": ("", names.ENV_API_KEY, "api_key"),
    "key_file": ("", names.ENV_KEY_FILE, "key_file"),
}
#: the keys the settings file's ``temporal:`` section may hold
SETTINGS_KEYS = tuple(sorted(entry[2] for entry in _SOURCES.values()))
_PATHS = ("tls_cert", "tls_key", "tls_ca", "key_file")


class ConnectOptions(Record):
    """How to reach Temporal. ``sources`` says where each value came from (for messages);
    ``api_key`` and ``keys`` (payload encryption, the first encrypts) never show in repr."""

    __slots__ = (
        "address",
        "api_key",
        "keys",
        "namespace",
        "sources",
        "task_queue",
        "tls",
        "tls_ca",
        "tls_cert",
        "tls_key",
        "tls_server_name",
    )

    def __init__(
        self,
        *,
        address: str = names.DEFAULT_ADDRESS,
        namespace: str = names.DEFAULT_NAMESPACE,
        task_queue: str = names.DEFAULT_TASK_QUEUE,
        tls: bool = False,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_ca: str | None = None,
        tls_server_name: str | None = None,
        api_key: str | None = None,
        keys: tuple[PayloadKey, ...] = (),
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.task_queue = task_queue
        self.tls = tls
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.tls_ca = tls_ca
        self.tls_server_name = tls_server_name
        self.api_key = api_key
        self.keys = keys
        self.sources: Mapping[str, str] = dict(sources or {})

    def where(self, field: str) -> str:
        """Where ``field`` came from: ``--address``, ``$SQUALL_TEMPORAL_ADDRESS``, ...."""
        return self.sources.get(field, "the default")

    def __repr__(self) -> str:
        return (
            f"ConnectOptions(address={self.address!r}, namespace={self.namespace!r}, "
            f"task_queue={self.task_queue!r}, tls={self.tls}, "
            f"api_key={'***' if self.api_key else None}, keys={[k.id for k in self.keys]})"
        )


def resolve_options(
    flags: Mapping[str, Any] | None = None,
    *,
    settings_path: str | None = None,
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConnectOptions:
    """The options from ``flags`` (field -> value, None when not given) > ``environ``
    (default: os.environ) > the settings' ``temporal:`` section > defaults.

    Raises:
        InputError: a value is malformed, a file is missing, the section is not a mapping
            or names an unknown key; the message says where the value came from.
    """
    environ = os.environ if environ is None else environ
    if settings is None:
        settings_path = settings_path or default_settings_path()
        settings = load_settings(settings_path)
    section = _section(settings, settings_path or "settings")
    base = os.path.dirname(os.path.abspath(settings_path)) if settings_path else os.getcwd()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for field, (flag, env, key) in _SOURCES.items():
        found = _lookup(field, flag, env, key, flags or {}, environ, section, settings_path)
        if found is not None:
            value, sources[field] = found
            if field in _PATHS and sources[field].startswith("settings"):
                value = os.path.join(base, os.path.expanduser(str(value)))
            values[field] = value
    return _build(values, sources, environ)


def _section(settings: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    section = settings.get(names.SETTINGS_SECTION) or {}
    if not isinstance(section, Mapping):
        raise InputError(f"settings {path}: `temporal` must be a mapping of {SETTINGS_KEYS}")
    unknown = sorted(set(section) - set(SETTINGS_KEYS))
    if unknown:
        raise InputError(
            f"settings {path}: unknown key temporal.{unknown[0]} "
            f"(known: {', '.join(SETTINGS_KEYS)})"
        )
    return section


def _lookup(
    field: str,
    flag: str,
    env: str,
    key: str,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    section: Mapping[str, Any],
    settings_path: str | None,
) -> tuple[Any, str] | None:
    if flag and flags.get(field) is not None:
        return flags[field], flag
    if environ.get(env):
        return environ[env], f"${env}"
    if section.get(key) is not None:
        return section[key], f"settings {settings_path or ''}: temporal.{key}".replace(" :", ":")
    return None


def _build(
    values: dict[str, Any], sources: dict[str, str], environ: Mapping[str, str]
) -> ConnectOptions:
    for field in ("address", "namespace", "task_queue", "tls_server_name", "api_key"):
        if field in values:
            values[field] = _text(values[field], sources[field])
    if "address" in values:
        _check_address(values["address"], sources["address"])
    for field in _PATHS:
        if field in values:
            _check_file(str(values[field]), sources[field])
    if ("tls_cert" in values) != ("tls_key" in values):
        given = "tls_cert" if "tls_cert" in values else "tls_key"
        missing = "--tls-key" if given == "tls_cert" else "--tls-cert"
        raise InputError(f"{sources[given]}: mTLS needs both a certificate and its key ({missing})")
    explicit = _flag(values["tls"], sources["tls"]) if "tls" in values else None
    implied = any(f in values for f in ("tls_cert", "tls_ca", "tls_server_name", "api_key"))
    values["tls"] = explicit if explicit is not None else implied
    keys = _keys(values.pop("key_file", None), sources.get("key_file", ""), environ)
    return ConnectOptions(**values, keys=keys, sources=sources)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        found = "an empty string" if isinstance(value, str) else kind_of(value)
        raise InputError(f"{where}: expected a non-empty text, found {found}")
    return value.strip()


def _check_address(address: str, where: str) -> None:
    host, _, port = address.rpartition(":")
    hint = " (HOST:PORT, e.g. localhost:7233; no scheme)"
    if "://" in address or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"{where}: {show_value(address)} is not a Temporal address{hint}")


def _check_file(path: str, where: str) -> None:
    if not os.path.isfile(path):
        raise InputError(f"{where}: no such file: {path}")


def _flag(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    try:
        return parse_bool(str(value))
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


def _keys(key_file: str | None, where: str, environ: Mapping[str, str]) -> tuple[PayloadKey, ...]:
    """``$SQUALL_TEMPORAL_KEY`` (comma-separated keys) wins over a key file."""
    if environ.get(names.ENV_KEY):
        texts = [t for t in environ[names.ENV_KEY].split(",") if t.strip()]
        return parse_keys(texts, f"${names.ENV_KEY}")
    if key_file:
        return read_key_file(key_file, where)
    return ()
