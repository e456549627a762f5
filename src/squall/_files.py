"""Where the user points squall's output files (a journal, a report, the settings)."""

from __future__ import annotations

import os
import stat

__all__ = ["same_file", "special_file"]


def special_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` exists and is neither a regular file nor a directory: a device
    (``/dev/null``, the pipe or terminal behind ``/dev/stdout``), a FIFO, a socket.

    Such a path is written in place. The usual temporary file and rename would replace
    the node itself: run as root, ``--journal-path /dev/null`` made /dev/null a regular
    file holding the journal."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def same_file(path: str | os.PathLike[str], other: str | os.PathLike[str]) -> bool:
    """True when both name one existing file (a link, a relative path: the same inode)."""
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False
