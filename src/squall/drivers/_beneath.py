"""File operations of the destructive actions, done through descriptors.

Every function first checks the path with ``squall.drivers._paths.check_path`` (inside an
allowed directory, as written and resolved, a single hard link), then walks the resolved
path again from the allowed directory one component at a time with ``O_NOFOLLOW``. A
directory or file swapped for a symbolic link after the check is therefore refused, never
followed; the change itself (chmod, rename, write, unlink) is made relative to the
descriptor of the file or of its directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._paths import Allowed, check_links, check_path, identity, root_of

__all__ = [
    "chmod_beneath",
    "open_beneath",
    "read_beneath",
    "rename_beneath",
    "unlink_beneath",
    "write_beneath",
]

_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW


def _walk(real: Path, root: Allowed, parts: tuple[str, ...], final_flags: int) -> int:
    """Open ``root.real / parts`` one component at a time, never following a link."""
    fd = os.open(root.real, _DIRECTORY)
    try:
        for index, name in enumerate(parts):
            flags = final_flags | _NOFOLLOW if index == len(parts) - 1 else _DIRECTORY
            try:
                child = os.open(name, flags, dir_fd=fd)
            except OSError as exc:
                raise ActivityFailed(
                    f"refusing {real}: cannot open {show_value(name)} without following a link "
                    f"({exc.strerror})"
                ) from exc
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def _directory_of(
    path: str | os.PathLike[str], configuration: Mapping[str, Any] | None
) -> Iterator[tuple[int, Path]]:
    """A descriptor of the directory holding the checked ``path`` (which may not exist
    yet), and the resolved path; closed on exit."""
    real = check_path(path, configuration, must_exist=False)
    root = root_of(real, configuration)
    fd = _walk(real, root, real.parent.relative_to(root.real).parts, _DIRECTORY)
    try:
        yield fd, real
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_beneath(
    path: str | os.PathLike[str],
    configuration: Mapping[str, Any] | None = None,
    flags: int | None = None,
) -> Iterator[int]:
    """A descriptor of the checked ``path``, reached from its allowed directory without
    following any symbolic link; closed on exit.

    ``flags`` default to ``O_PATH`` on Linux (the descriptor works whatever the file's
    mode). The file must be a regular file or a directory, with a single hard link
    (directories excepted).
    """
    real = check_path(path, configuration)
    root = root_of(real, configuration)
    if flags is None:
        flags = getattr(os, "O_PATH", os.O_RDONLY | os.O_NONBLOCK)
    fd = _walk(real, root, real.relative_to(root.real).parts, flags)
    try:
        info = os.fstat(fd)
        if stat.S_ISLNK(info.st_mode):
            raise ActivityFailed(f"refusing {real}: it is a symbolic link now")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            raise ActivityFailed(f"refusing {real}: not a regular file or a directory")
        check_links(real, info)
        yield fd
    finally:
        os.close(fd)


def chmod_beneath(
    path: str | os.PathLike[str],
    mode: int,
    configuration: Mapping[str, Any] | None = None,
    *,
    expect: list[int] | None = None,
) -> os.stat_result:
    """chmod the checked ``path`` itself (never a link, never a parent) through
    ``open_beneath``; with ``expect`` (an ``identity``), only if it is still that file.
    Returns the file's status *before* the change."""
    with open_beneath(path, configuration) as fd:
        before = os.fstat(fd)
        if expect is not None and identity(before) != list(expect):
            raise ActivityFailed(f"refusing {path}: it was replaced since squall recorded it")
        if hasattr(os, "O_PATH"):
            # chmod through the descriptor's /proc entry: the file it names, never a link.
            os.chmod(f"/proc/self/fd/{fd}", mode)
        else:  # pragma: no cover - not Linux
            os.fchmod(fd, mode)
        return before


def read_beneath(
    path: str | os.PathLike[str], configuration: Mapping[str, Any] | None = None
) -> tuple[bytes, os.stat_result] | None:
    """The bytes and status of the checked ``path``, or None if it does not exist."""
    real = check_path(path, configuration, must_exist=False)
    if not os.path.lexists(real):
        return None
    with (
        open_beneath(real, configuration, os.O_RDONLY | os.O_NONBLOCK) as fd,
        os.fdopen(fd, "rb", closefd=False) as handle,
    ):
        info = os.fstat(fd)  # before reading: the times as they were
        return handle.read(), info


def write_beneath(
    path: str | os.PathLike[str],
    data: bytes,
    configuration: Mapping[str, Any] | None = None,
    *,
    mode: int | None = None,
    owner: tuple[int, int] | None = None,
    times_ns: tuple[int, int] | None = None,
) -> Path:
    """Replace (or create) the checked ``path`` with ``data``, atomically: a temporary
    file created with ``O_EXCL|O_NOFOLLOW`` in the same directory, given its ``mode``
    (default: the current file's, else 0600) and ``owner`` before it is renamed over the
    path. The rename replaces the directory entry: it never writes through a link."""
    with _directory_of(path, configuration) as (directory, real):
        try:
            current = os.stat(real.name, dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            current = None
        if current is not None:
            check_links(real, current)
        if mode is None:
            mode = stat.S_IMODE(current.st_mode) if current is not None else 0o600
        temporary = f".{real.name[:64]}.{secrets.token_hex(6)}.squall-tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
        out = os.open(temporary, flags, 0o600, dir_fd=directory)
        try:
            with os.fdopen(out, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.fchmod(handle.fileno(), mode)
                if owner is not None and owner != (os.geteuid(), os.getegid()):
                    os.fchown(handle.fileno(), owner[0], owner[1])
                if times_ns is not None:
                    os.utime(handle.fileno(), ns=times_ns)
            os.replace(temporary, real.name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=directory)
            raise
        return real


def unlink_beneath(
    path: str | os.PathLike[str], configuration: Mapping[str, Any] | None = None
) -> bool:
    """Remove the checked ``path`` (a file) from its directory; False if it was absent."""
    with _directory_of(path, configuration) as (directory, real):
        try:
            os.unlink(real.name, dir_fd=directory)
        except FileNotFoundError:
            return False
        return True


def rename_beneath(
    path: str | os.PathLike[str],
    new_name: str,
    configuration: Mapping[str, Any] | None = None,
    *,
    replace: bool = False,
) -> Path:
    """Rename the checked ``path`` to ``new_name`` in the same directory, through a
    descriptor of that directory; an existing ``new_name`` is replaced only with
    ``replace`` (a rename replaces the directory entry, never writes through a link)."""
    if not new_name or os.sep in new_name or new_name in (".", ".."):
        raise ActivityFailed(f"not a plain file name: {show_value(new_name)}")
    with open_beneath(path, configuration):
        pass  # the file itself: inside, not a link, a single hard link
    with _directory_of(path, configuration) as (directory, real):
        try:
            os.stat(new_name, dir_fd=directory, follow_symlinks=False)
        except FileNotFoundError:
            pass
        else:
            if not replace:
                raise ActivityFailed(f"refusing to move {real}: {real.with_name(new_name)} exists")
        os.rename(real.name, new_name, src_dir_fd=directory, dst_dir_fd=directory)
        return real.with_name(new_name)
