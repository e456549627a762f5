"""File-permission probe: private keys locked down, nothing world-writable, no stray setuid.

Walks a file or a directory tree with ``lstat`` (symlinks are never followed) and reports
what it finds; nothing is changed.
"""

from __future__ import annotations

import fnmatch
import os
import pwd
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value

__all__ = ["file_permissions"]

KEY_NAMES = ("*.key", "*.p12", "*.pfx", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "*_rsa")
_PEM_KEY = b"PRIVATE KEY-----"


def file_permissions(
    path: str,
    max_key_mode: str = "0600",
    key_patterns: list[str] | None = None,
    detect_keys_by_content: bool = True,
    owner_uid: int | None = None,
    owner: str | None = None,
    check_world_writable: bool = True,
    setuid_allowed: list[str] | None = None,
    max_files: int = 20000,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check private-key modes and owners, world-writable files and setuid/setgid bits.

    Arguments:
        path: a file or a directory (walked recursively).
        max_key_mode: the most a private key may allow, as an octal string (``"0600"``,
            ``"0400"``); a key with any permission bit outside it is a problem. An integer
            is read as octal digits (``600`` means ``0o600``).
        key_patterns: file-name globs that mark private keys (default ``*.key``, ``*.p12``,
            ``*.pfx``, ``id_rsa``, ``id_dsa``, ``id_ecdsa``, ``id_ed25519``, ``*_rsa``).
        detect_keys_by_content: also treat any small file containing a PEM
            ``PRIVATE KEY`` header as a private key.
        owner_uid: the uid that must own every private key.
        owner: the user name that must own every private key (alternative to ``owner_uid``).
        check_world_writable: report files and directories anyone may write (directories
            with the sticky bit, like ``/tmp``, are exempt).
        setuid_allowed: paths allowed to carry the setuid or setgid bit (default none).
        max_files: stop after this many entries (``truncated`` is then true).
        configuration: injected by the engine; unused.
        secrets: injected by the engine; unused.

    Returns:
        ``ok``, ``problems``, ``path``, ``exists``, ``scanned`` (entries examined),
        ``private_keys`` (``{"path", "mode", "uid", "owner", "ok"}`` each; ``mode`` as an
        octal string), ``world_writable`` (``{"path", "mode", "type"}``), ``setuid``
        (``{"path", "mode", "setuid", "setgid", "allowed"}``) and ``truncated``.
    """
    limit = parse_mode(max_key_mode)
    wanted_uid = _owner_uid(owner_uid, owner)
    patterns = list(KEY_NAMES if key_patterns is None else key_patterns)
    allowed_setuid = {os.path.realpath(p) for p in setuid_allowed or []}
    root = Path(path)
    result: dict[str, Any] = {"ok": False, "problems": [], "path": str(root), "exists": True}
    result.update(scanned=0, private_keys=[], world_writable=[], setuid=[], truncated=False)
    if not os.path.lexists(root):
        result["exists"] = False
        result["problems"].append(f"{root} does not exist")
        return result
    problems: list[str] = result["problems"]
    for entry, info in _walk(root):
        if result["scanned"] >= max_files:
            result["truncated"] = True
            break
        result["scanned"] += 1
        mode = stat.S_IMODE(info.st_mode)
        kind = "directory" if stat.S_ISDIR(info.st_mode) else "file"
        sticky_dir = kind == "directory" and mode & stat.S_ISVTX
        if check_world_writable and mode & stat.S_IWOTH and not sticky_dir:
            result["world_writable"].append({"path": str(entry), "mode": f"{mode:04o}"})
            result["world_writable"][-1]["type"] = kind
            problems.append(f"{entry} is world-writable ({mode:04o})")
        if kind == "file" and mode & (stat.S_ISUID | stat.S_ISGID):
            ok = os.path.realpath(entry) in allowed_setuid
            result["setuid"].append(
                {
                    "path": str(entry),
                    "mode": f"{mode:04o}",
                    "setuid": bool(mode & stat.S_ISUID),
                    "setgid": bool(mode & stat.S_ISGID),
                    "allowed": ok,
                }
            )
            if not ok:
                problems.append(f"{entry} has the setuid/setgid bit ({mode:04o})")
        if kind == "file" and _is_key(entry, info, patterns, detect_keys_by_content):
            key = _judge_key(entry, info, mode, limit, wanted_uid, problems)
            result["private_keys"].append(key)
    result["ok"] = not problems
    return result


def parse_mode(value: str | int) -> int:
    """``"0600"``, ``"600"``, ``"0o600"`` or ``600`` → ``0o600``."""
    text = str(value).strip().lower().removeprefix("0o")
    try:
        mode = int(text, 8)
    except ValueError:
        mode = -1
    if isinstance(value, bool) or not 0 <= mode <= 0o7777:
        raise ActivityFailed(
            f"max_key_mode must be an octal mode like '0600', not {show_value(value)}"
        )
    return mode


def _owner_uid(owner_uid: int | None, owner: str | None) -> int | None:
    if owner is None:
        return owner_uid
    try:
        uid = pwd.getpwnam(owner).pw_uid
    except KeyError:
        raise ActivityFailed(f"unknown user {show_value(owner)}") from None
    if owner_uid is not None and owner_uid != uid:
        raise ActivityFailed(f"owner {show_value(owner)} is uid {uid}, not owner_uid {owner_uid}")
    return uid


def _walk(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Yield ``(path, lstat)`` for ``root`` and everything under it, symlinks skipped."""
    try:
        info = root.lstat()
    except OSError:
        return
    if stat.S_ISLNK(info.st_mode):
        return
    yield root, info
    if not stat.S_ISDIR(info.st_mode):
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            entry = Path(folder) / name
            try:
                info = entry.lstat()
            except OSError:
                continue
            if not stat.S_ISLNK(info.st_mode):
                yield entry, info


def _is_key(entry: Path, info: os.stat_result, patterns: list[str], by_content: bool) -> bool:
    if any(fnmatch.fnmatch(entry.name, p) for p in patterns):
        return True
    if not by_content or info.st_size > 65536 or not stat.S_ISREG(info.st_mode):
        return False
    try:
        with entry.open("rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return _PEM_KEY in head and b"-----BEGIN " in head


def _judge_key(
    entry: Path,
    info: os.stat_result,
    mode: int,
    limit: int,
    wanted_uid: int | None,
    problems: list[str],
) -> dict[str, Any]:
    ok = True
    extra = mode & ~limit
    if extra:
        ok = False
        problems.append(f"private key {entry} has mode {mode:04o} (more than {limit:04o})")
    if wanted_uid is not None and info.st_uid != wanted_uid:
        ok = False
        problems.append(f"private key {entry} is owned by uid {info.st_uid}, not {wanted_uid}")
    try:
        name: str | None = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        name = None
    return {"path": str(entry), "mode": f"{mode:04o}", "uid": info.st_uid, "owner": name, "ok": ok}
