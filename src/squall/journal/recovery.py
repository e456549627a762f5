"""Where each run's recovery data lives: its event stream, keyed by run id, in squall's
state directory (never next to the journal, where a second run with the same
``--journal-path`` would overwrite it).

The directory is ``$SQUALL_RECOVERY_DIR``, else ``runs/`` under the user's state
directory as platformdirs names it (``~/.local/state/squall/runs`` on Linux). A run holds
an exclusive lock on its stream while it writes, so a stream that can be locked belongs
to a run that is no longer running: killed, crashed, or stopped with rollbacks owed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys

from squall import _json

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ENV_RECOVERY_DIR",
    "StreamInfo",
    "is_locked",
    "list_streams",
    "read_start",
    "recovery_dir",
    "stream_path",
]

ENV_RECOVERY_DIR = "SQUALL_RECOVERY_DIR"
_SUFFIX = ".events.jsonl"


def recovery_dir() -> str:
    """The directory of the runs' event streams (see the module docstring)."""
    value = os.environ.get(ENV_RECOVERY_DIR, "").strip()
    if value:
        return os.path.abspath(os.path.expanduser(value))
    if sys.platform == "linux":  # platformdirs' rule (XDG), without importing it
        base = os.environ.get("XDG_STATE_HOME", "").strip() or os.path.expanduser("~/.local/state")
        return os.path.join(base, "squall", "runs")
    import platformdirs

    return os.path.join(platformdirs.user_state_dir("squall", appauthor=False), "runs")


def stream_path(run_id: str) -> str:
    """The event stream of run ``run_id``."""
    return os.path.join(recovery_dir(), f"{run_id}{_SUFFIX}")


def is_locked(path: str) -> bool:
    """True while a process (a run, a recovery) holds the stream's lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def read_start(path: str) -> dict[str, Any] | None:
    """The ``start`` event of a stream (None: not a squall event stream)."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline(1 << 24)
        record = _json.loads(first)
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("event") != "start":
        return None
    return record


class StreamInfo:
    """One stream of the recovery directory."""

    __slots__ = ("path", "running", "start")

    def __init__(self, path: str, start: dict[str, Any], running: bool) -> None:
        self.path = path
        self.start = start
        self.running = running  # a process still holds it (the run, or a recovery)

    @property
    def run_id(self) -> str:
        return str(self.start.get("run_id", ""))

    @property
    def journal_path(self) -> str | None:
        value = self.start.get("journal_path")
        return str(value) if value else None

    @property
    def title(self) -> str:
        experiment = (self.start.get("journal") or {}).get("experiment") or {}
        return str(experiment.get("title", "")) if isinstance(experiment, dict) else ""

    @property
    def started(self) -> str:
        return str((self.start.get("journal") or {}).get("start", ""))


def list_streams() -> list[StreamInfo]:
    """Every run stream in the recovery directory, oldest first."""
    directory = recovery_dir()
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for name in os.listdir(directory):
            if not name.endswith(_SUFFIX) or name.startswith("."):
                continue
            path = os.path.join(directory, name)
            # no readable start: killed as it began (or damaged); listed by its file's
            # name, so that `squall recover --list` shows it and --discard finds it
            start = read_start(path) or {"run_id": name.removesuffix(_SUFFIX)}
            found.append(StreamInfo(path, start, is_locked(path)))
    return sorted(found, key=lambda s: s.started)
