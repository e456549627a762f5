"""Which files squall's destructive actions may touch: an allow-list of directories.

An action touches a path only if it lies strictly *inside* an allowed directory:

- the demo's state directory (``SQUALL_DEMO_DIR``, else the platform's user state
  directory for squall, ``/demo``), always;
- every directory in the experiment's configuration key ``squall_allowed_paths`` (a list,
  or one string);
- every directory in the environment variable ``SQUALL_ALLOWED_PATHS`` (separated by
  ``os.pathsep``, ``:`` on Linux).

An allowed directory may not be ``/``, a top-level directory (``/tmp``, ``/var``...), the
home directory of any user or one of its ancestors, or anything under ``/proc``, ``/sys``
or ``/dev`` (``squall.allowlists``): such an entry is refused with a message rather than
silently widening the allow-list.
The allowed directory itself is never a target (a chmod of it is a parent's chmod).

A path is checked twice: as written (after ``~`` expansion and ``..`` folding) and after
resolving every symbolic link. Both must be inside an allowed directory, so a link inside
the tree that points out, and a link outside that points in, are both refused. A file with
more than one hard link (``st_nlink > 1``) is refused too: its other names may be
anywhere. ``squall.drivers._beneath`` then acts through descriptors walked from the
allowed directory with ``O_NOFOLLOW``, so a link swapped in after the check is refused
rather than followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.allowlists import CONFIG_ALLOWED_PATHS, ENV_ALLOWED_PATHS, directory_too_broad

__all__ = [
    "CONFIG_ALLOWED_PATHS",
    "ENV_ALLOWED_PATHS",
    "Allowed",
    "allowed_roots",
    "check_links",
    "check_path",
    "identity",
    "root_of",
]


@dataclass(frozen=True, slots=True)
class Allowed:
    """One allowed directory: as written, resolved, and where the entry came from."""

    path: Path
    real: Path
    source: str


def _demo_dir() -> Path:
    from squall.drivers._state import demo_state_dir

    return demo_state_dir()


def _entries(configuration: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    found = [(str(_demo_dir()), "the demo's state directory")]
    value = (configuration or {}).get(CONFIG_ALLOWED_PATHS) or []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ActivityFailed(f"{CONFIG_ALLOWED_PATHS} must be a list of directories")
    found += [(str(item), f'configuration "{CONFIG_ALLOWED_PATHS}"') for item in items]
    env = os.environ.get(ENV_ALLOWED_PATHS, "")
    found += [(item, ENV_ALLOWED_PATHS) for item in env.split(os.pathsep) if item.strip()]
    return found


def _lexical(path: str | os.PathLike[str]) -> Path:
    """Absolute, ``~`` expanded, ``.``/``..`` folded, no link resolved."""
    return Path(os.path.normpath(Path(path).expanduser().absolute()))


def _inside(path: Path, root: Path) -> bool:
    return root in path.parents


def allowed_roots(configuration: Mapping[str, Any] | None = None) -> list[Allowed]:
    """The allowed directories (see the module docstring); an entry that is too broad is
    refused with ``ActivityFailed``, one that does not exist is left out."""
    roots: list[Allowed] = []
    for text, source in _entries(configuration):
        if "\0" in text or not text.strip():
            raise ActivityFailed(f"{source}: {show_value(text)} is not a directory name")
        lexical = _lexical(text)
        real = Path(os.path.realpath(lexical))
        reason = directory_too_broad(real)
        if reason:
            raise ActivityFailed(
                f"{source}: refusing to allow {lexical}: {reason} is too broad to allow; "
                "name a directory inside it"
            )
        if real.is_dir():
            roots.append(Allowed(lexical, real, source))
    return roots


def _describe(configuration: Mapping[str, Any] | None) -> str:
    sources: dict[Path, list[str]] = {}  # one line per directory, however many name it
    for text, source in _entries(configuration):
        sources.setdefault(_lexical(text), []).append(source)
    entries = []
    for directory, named_by in sources.items():
        missing = "" if directory.is_dir() else ", does not exist"
        entries.append(f"{directory} ({', '.join(named_by)}{missing})")
    return "; ".join(entries)


def _refuse(path: Path, why: str, configuration: Mapping[str, Any] | None) -> ActivityFailed:
    return ActivityFailed(
        f"refusing {path}: {why}. Allowed directories: {_describe(configuration)}. Allow "
        f'another with configuration "{CONFIG_ALLOWED_PATHS}" or {ENV_ALLOWED_PATHS}'
    )


def _placeholder(text: str) -> str:
    """The first ``${name}`` left in ``text`` (substitution keeps one it cannot fill)."""
    start = text.find("${")
    end = text.find("}", start)
    return text[start : end + 1] if start >= 0 and end > start + 2 else ""


def _root_of(real: Path, roots: list[Allowed]) -> Allowed | None:
    return next((root for root in roots if _inside(real, root.real)), None)


def root_of(real: Path, configuration: Mapping[str, Any] | None) -> Allowed:
    """The allowed directory holding the checked, resolved path ``real``."""
    root = _root_of(real, allowed_roots(configuration))
    if root is None:
        raise ActivityFailed(f"refusing {real}: not inside an allowed directory")
    return root


def check_path(
    path: str | os.PathLike[str],
    configuration: Mapping[str, Any] | None = None,
    *,
    must_exist: bool = True,
) -> Path:
    """The resolved path, if an action may touch it (module docstring); else ``ActivityFailed``.

    A path that does not exist (``must_exist=False``, a file an action creates) is
    checked the same way; its parent directory must exist.
    """
    if not str(path) or "\0" in str(path):
        raise ActivityFailed(f"not a path: {show_value(str(path))}")
    placeholder = _placeholder(str(path))
    if placeholder:  # the value never came: widening the allow-list is not the fix
        raise ActivityFailed(
            f"refusing {path}: it still holds {placeholder}, which nothing defined (the "
            "run warned of it): give its value with --var or --var-file"
        )
    roots = allowed_roots(configuration)
    lexical = _lexical(path)
    real = Path(os.path.realpath(lexical))
    if not any(_inside(lexical, r.path) or _inside(lexical, r.real) for r in roots):
        if any(lexical in (r.path, r.real) for r in roots):
            raise _refuse(lexical, "an allowed directory itself is not a target", configuration)
        raise _refuse(lexical, "not inside an allowed directory", configuration)
    if _root_of(real, roots) is None:
        raise _refuse(lexical, f"it resolves to {real} through a symbolic link", configuration)
    try:
        info = os.lstat(real)
    except FileNotFoundError:
        if must_exist:
            raise ActivityFailed(f"{lexical} does not exist") from None
        if not real.parent.is_dir():
            raise ActivityFailed(f"the directory of {lexical} does not exist") from None
        return real
    except OSError as exc:
        raise ActivityFailed(f"cannot inspect {lexical}: {exc}") from exc
    check_links(lexical, info)
    return real


def check_links(path: Path, info: os.stat_result) -> None:
    """Refuse a file (not a directory) with more than one hard link."""
    if not stat.S_ISDIR(info.st_mode) and info.st_nlink > 1:
        raise ActivityFailed(
            f"refusing {path}: it has {info.st_nlink} hard links, and the others may be "
            "outside the allowed directories"
        )


def identity(info: os.stat_result) -> list[int]:
    """What makes a file the same file: ``[st_dev, st_ino]``."""
    return [info.st_dev, info.st_ino]
