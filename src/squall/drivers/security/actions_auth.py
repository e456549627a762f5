"""Security actions on a reloadable target's authentication: revoke or rotate credentials,
switch authentication off, skew the clock it sees."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets as secrets_module
import string
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_path
from squall.drivers.host._edits import (
    FileEdit,
    Reload,
    apply_edits,
    config_path,
    load_json,
    reconfigure,
    restore_config,
    revert_edits,
)

__all__ = [
    "clock_skew",
    "disable_auth",
    "enable_auth",
    "expire_or_revoke_credentials",
    "restore_clock",
    "restore_credentials",
]

KIND_CREDENTIALS = "security.expire_or_revoke_credentials"
KIND_AUTH = "security.disable_auth"
KIND_CLOCK = "security.clock_skew"
METHODS = ("revoke", "rotate-key")


def _named_file(
    config_file: str | None,
    explicit: str | None,
    key: str,
    configuration: dict[str, Any] | None,
) -> Path | None:
    if explicit:
        return check_path(explicit, configuration, must_exist=False)
    if not config_file:
        return None
    path = config_path(config_file, configuration)
    value = load_json(path).get(key)
    return check_path(path.parent / str(value), configuration, must_exist=False) if value else None


def _revocation_edit(path: Path, entry: str) -> FileEdit:
    """Add ``entry`` to a deny-list: a JSON array of strings, or one entry per line."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text.strip().startswith("[") or (not text.strip() and path.suffix == ".json"):
        try:
            items = json.loads(text) if text.strip() else []
        except ValueError as exc:
            raise ActivityFailed(f"{path} is not a JSON array: {exc}") from exc
        if not isinstance(items, list):
            raise ActivityFailed(f"{path} is not a JSON array")
        if entry in items:
            raise ActivityFailed(f"the entry is already in {path}: nothing to inject")
        content = json.dumps([*items, entry], indent=2) + "\n"
        return FileEdit(path, content.encode(), {"type": "remove_item", "item": entry}, 0o644)
    if entry in (line.strip() for line in text.splitlines()):
        raise ActivityFailed(f"the entry is already in {path}: nothing to inject")
    prefix = "" if not text or text.endswith("\n") else "\n"
    content = f"{text}{prefix}{entry}\n"
    return FileEdit(path, content.encode(), {"type": "remove_line", "line": entry}, 0o644)


def _rotated_key(path: Path) -> bytes:
    """A new random key in the format of the current one (hex, or base64url otherwise)."""
    old = path.read_bytes()
    stripped = old.strip()
    newline = old[len(old.rstrip()) :]
    if stripped and all(chr(c) in string.hexdigits for c in stripped):
        new = secrets_module.token_hex(max(len(stripped) // 2, 16)).encode()
    else:
        size = max(len(stripped) * 3 // 4, 32)
        new = base64.urlsafe_b64encode(secrets_module.token_bytes(size)).rstrip(b"=")
    return new + newline


def expire_or_revoke_credentials(
    config_file: str | None = None,
    method: str = "revoke",
    *,
    token: str | None = None,
    token_id: str | None = None,
    revoked_tokens_file: str | None = None,
    signing_key_file: str | None = None,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Revoke a token (deny-list) or rotate the token-signing key, then SIGHUP the target.

    ``revoke`` adds ``token_id`` (or the token itself) to the deny-list file: a JSON array
    of strings if the file holds one (or is a new ``.json`` file), else one entry per line.
    ``rotate-key`` replaces the signing key with a random key of the same format (hex or
    base64url), which invalidates every token signed with the old key.

    Args:
        config_file: the target's JSON config; its ``revoked_tokens_file`` and
            ``signing_key_file`` name the files (relative to the config file).
        method: ``revoke`` (default) or ``rotate-key``.
        token: the token to revoke; or put it in ``secrets["token"]`` (preferred: the
            token then stays out of the experiment file). Never returned.
        token_id: the token's id (e.g. its ``jti``), used instead of the token if given.
        revoked_tokens_file: the deny-list file (overrides the config).
        signing_key_file: the signing key file (overrides the config).
        pid: the target's pid (or a list of pids), sent SIGHUP after the change.
        pidfile: a file holding the target's pid (or a list of such files).
        process_name: a substring the target's command line must contain.

    Returns:
        ``method``, ``files``, ``entry_sha256`` (revoke: a fingerprint of the entry, not the
        entry), ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    if method not in METHODS:
        raise ActivityFailed(
            f"method must be one of {show_value(list(METHODS))}, got {show_value(method)}"
        )
    extra: dict[str, Any] = {"method": method}
    if method == "revoke":
        path = _named_file(config_file, revoked_tokens_file, "revoked_tokens_file", configuration)
        if path is None:
            raise ActivityFailed("give revoked_tokens_file, or a config_file naming one")
        entry = token_id or token or (secrets or {}).get("token")
        if not entry:
            raise ActivityFailed("give token_id, token, or secrets['token'] to revoke")
        edit = _revocation_edit(path, str(entry))
        extra["entry_sha256"] = hashlib.sha256(str(entry).encode()).hexdigest()
    else:
        path = _named_file(config_file, signing_key_file, "signing_key_file", configuration)
        if path is None or not path.is_file():
            raise ActivityFailed("give an existing signing_key_file, or a config_file naming one")
        edit = FileEdit(path, _rotated_key(path), {"type": "restore"})
    result = apply_edits(
        KIND_CREDENTIALS,
        str(path),
        [edit],
        reload=Reload(pid, pidfile, process_name, configuration),
        rollback={
            "function": f"{__name__}.restore_credentials",
            "arguments": {"config_file": config_file, f"{_file_arg(method)}": str(path)},
        },
        configuration=configuration,
        data={"method": method},
    )
    return {**result, **extra}


def _file_arg(method: str) -> str:
    return "revoked_tokens_file" if method == "revoke" else "signing_key_file"


def restore_credentials(
    config_file: str | None = None,
    *,
    revoked_tokens_file: str | None = None,
    signing_key_file: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``expire_or_revoke_credentials``: the deny-list or key file as it was.

    Both candidate files (deny-list and signing key) are checked, so the same arguments
    roll back either method.

    Args:
        config_file: the same ``config_file`` given to the action.
        revoked_tokens_file: the same ``revoked_tokens_file`` given to the action.
        signing_key_file: the same ``signing_key_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``
        (of the last file restored); a no-op (``restored`` false) when nothing was recorded.
    """
    results = []
    for explicit, key in (
        (revoked_tokens_file, "revoked_tokens_file"),
        (signing_key_file, "signing_key_file"),
    ):
        path = _named_file(config_file, explicit, key, configuration)
        if path is not None:
            results.append(revert_edits(KIND_CREDENTIALS, str(path), configuration))
    if not results:
        raise ActivityFailed("give revoked_tokens_file/signing_key_file or a config_file")
    done = [r for r in results if r["restored"]]
    return done[-1] if done else results[0]


def disable_auth(
    config_file: str,
    *,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Set ``auth_enabled`` to false in a reloadable target's config, then SIGHUP it.

    Args:
        config_file: the target's JSON config file.
        pid: the target's pid (or a list of pids), sent SIGHUP after the edit.
        pidfile: a file holding the target's pid (or a list of such files).
        process_name: a substring the target's command line must contain.

    Returns:
        ``changed`` (``{"auth_enabled": {"old": ..., "new": false}}``), ``files``,
        ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    if load_json(config_path(config_file, configuration)).get("auth_enabled", True) is False:
        raise ActivityFailed("auth_enabled is already false: nothing to inject")
    return reconfigure(
        KIND_AUTH,
        config_file,
        {"auth_enabled": False},
        pid=pid,
        pidfile=pidfile,
        process_name=process_name,
        rollback_function=f"{__name__}.enable_auth",
        configuration=configuration,
    )


def enable_auth(
    config_file: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``disable_auth``: the config file as it was, then SIGHUP.

    Args:
        config_file: the same ``config_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``;
        a no-op (``restored`` false) when nothing was recorded.
    """
    return restore_config(KIND_AUTH, config_file, configuration)


def clock_skew(
    config_file: str,
    offset_seconds: float = 0.0,
    *,
    offset_days: float = 0.0,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Shift the clock a reloadable target sees (``clock_offset_seconds``), then SIGHUP it.

    The shift is added to the current offset: ``offset_days=-2`` makes the target believe
    it is two days earlier than it was. The target must read its time as the real time
    plus ``clock_offset_seconds``.

    Args:
        config_file: the target's JSON config file.
        offset_seconds: seconds to add to the target's clock (negative: the past).
        offset_days: days to add (combined with ``offset_seconds``).
        pid: the target's pid (or a list of pids), sent SIGHUP after the edit.
        pidfile: a file holding the target's pid (or a list of such files).
        process_name: a substring the target's command line must contain.

    Returns:
        ``changed`` (``{"clock_offset_seconds": {"old": ..., "new": ...}}``),
        ``shift_seconds``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    shift = float(offset_seconds) + float(offset_days) * 86400.0
    if shift == 0:
        raise ActivityFailed("give a non-zero offset_seconds or offset_days")
    current = load_json(config_path(config_file, configuration)).get("clock_offset_seconds") or 0
    if not isinstance(current, int | float):
        raise ActivityFailed(f"clock_offset_seconds is not a number: {show_value(current)}")
    new = current + shift
    result = reconfigure(
        KIND_CLOCK,
        config_file,
        {"clock_offset_seconds": int(new) if float(new).is_integer() else new},
        pid=pid,
        pidfile=pidfile,
        process_name=process_name,
        rollback_function=f"{__name__}.restore_clock",
        configuration=configuration,
    )
    return {**result, "shift_seconds": shift}


def restore_clock(
    config_file: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``clock_skew``: the config file as it was, then SIGHUP.

    Args:
        config_file: the same ``config_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``;
        a no-op (``restored`` false) when nothing was recorded.
    """
    return restore_config(KIND_CLOCK, config_file, configuration)
