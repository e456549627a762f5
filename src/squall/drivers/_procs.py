"""Which processes squall's actions may signal: an allow-list, never "any pid but a few".

A process may be signalled only if it is running (not a zombie), is not pid 0 or 1, not
squall's own process nor one of its ancestors (its parent, the shell or CI runner that
reads its output...), and one of these holds:

- **squall started it**: it is a descendant of the squall process (a process activity, a
  child a Python activity started);
- **it is named by a pidfile inside an allowed directory** (see ``squall.drivers._paths``:
  the demo writes its pidfiles in its state directory), and the process is not younger
  than the pidfile (a pid recycled after the pidfile was written is refused);
- **the user listed it**: its pid is in the configuration key ``squall_allowed_pids`` (a
  list of integers) or in the environment variable ``SQUALL_ALLOWED_PIDS`` (separated by
  commas or spaces).

``expect`` (an action's ``process_name``) must then be a substring of its command line.
The process's start time (``/proc/<pid>/stat``, field 22) is recorded with each
injection, and a rollback signals a pid only if it is still the same process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._paths import check_path

__all__ = [
    "CONFIG_ALLOWED_PIDS",
    "ENV_ALLOWED_PIDS",
    "check_pid",
    "check_pid_file",
    "process_cmdline",
    "process_start",
    "process_state",
    "process_uid",
    "read_pidfile",
    "resolve_pid",
]

ENV_ALLOWED_PIDS = "SQUALL_ALLOWED_PIDS"
CONFIG_ALLOWED_PIDS = "squall_allowed_pids"
_PIDFILE_SLACK = 2.0  # seconds: boot time is whole seconds, start time clock ticks


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (field 3 onwards), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def process_cmdline(pid: int) -> str | None:
    """The command line of ``pid`` (arguments joined by spaces), or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def process_state(pid: int) -> str | None:
    """The one-letter state of ``pid`` (R, S, T, Z ...), or None if it does not exist."""
    fields = _stat_fields(pid)
    if fields is not None:
        return fields[0]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


def process_start(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (stable for the process's life), or
    None if unknown: two processes with the same pid have different start times."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def _started_epoch(pid: int) -> float | None:
    ticks = process_start(pid)
    if ticks is None:
        return None
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None
    return None


def _parent(pid: int) -> int | None:
    fields = _stat_fields(pid)
    try:
        return int(fields[1]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def process_uid(pid: int) -> int | None:
    """The effective uid of ``pid``, or None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[2])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _descends_from_squall(pid: int) -> bool:
    me, current = os.getpid(), pid
    for _ in range(256):
        parent = _parent(current)
        if parent is None or parent <= 1:
            return False
        if parent == me:
            return True
        current = parent
    return False


def _ancestors() -> set[int]:
    """squall's parent, its parent's parent... up to init (not included)."""
    found: set[int] = set()
    current: int | None = os.getppid()
    while current is not None and current > 1 and current not in found and len(found) < 256:
        found.add(current)
        current = _parent(current)
    return found


def _listed(configuration: Mapping[str, Any] | None) -> set[int]:
    value = (configuration or {}).get(CONFIG_ALLOWED_PIDS) or []
    items = [value] if isinstance(value, int | str) else value
    if not isinstance(items, list | tuple):
        raise ActivityFailed(f"{CONFIG_ALLOWED_PIDS} must be a list of pids")
    items = [*items, *os.environ.get(ENV_ALLOWED_PIDS, "").replace(",", " ").split()]
    try:
        return {int(item) for item in items if not isinstance(item, bool)}
    except (TypeError, ValueError) as exc:
        raise ActivityFailed(f"{CONFIG_ALLOWED_PIDS}/{ENV_ALLOWED_PIDS}: {exc}") from exc


def _pidfile_vouches(pid: int, pidfile: Path) -> bool:
    """The pidfile was written after ``pid`` started (so the pid is not a recycled one)."""
    started = _started_epoch(pid)
    try:
        written = pidfile.stat().st_mtime
    except OSError:
        return False
    return started is not None and started <= written + _PIDFILE_SLACK


def check_pid(
    pid: int,
    expect: str | None = None,
    configuration: Mapping[str, Any] | None = None,
    *,
    pidfile: Path | None = None,
) -> int:
    """``pid`` if squall may signal it (module docstring); ``ActivityFailed`` otherwise.

    ``pidfile`` is the checked pidfile the pid was read from, if any.
    """
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise ActivityFailed(f"pid must be an integer, got {show_value(pid)}")
    if pid <= 1:
        raise ActivityFailed(f"refusing pid {pid}: init or a process group")
    if pid == os.getpid():
        raise ActivityFailed(f"refusing pid {pid}: squall's own process")
    if pid in _ancestors():
        raise ActivityFailed(
            f"refusing pid {pid}: an ancestor of squall (a process waiting for it, or "
            "reading its output: paused, squall would block and never send it SIGCONT)"
        )
    state = process_state(pid)
    if state is None or state == "Z":
        raise ActivityFailed(f"no running process with pid {pid}")
    if pidfile is not None and not _pidfile_vouches(pid, pidfile):
        raise ActivityFailed(
            f"refusing pid {pid}: the process started after {pidfile} was written, so the "
            "pidfile is stale and the pid belongs to another process now"
        )
    allowed = pidfile is not None or _descends_from_squall(pid) or pid in _listed(configuration)
    if not allowed:
        raise ActivityFailed(
            f"refusing pid {pid}: squall did not start it, no pidfile in an allowed directory "
            f'names it, and it is not listed in configuration "{CONFIG_ALLOWED_PIDS}" or '
            f"{ENV_ALLOWED_PIDS}"
        )
    if expect:
        cmdline = process_cmdline(pid)
        if cmdline is None or expect not in cmdline:
            raise ActivityFailed(
                f"refusing pid {pid}: its command line {show_value(cmdline)} "
                f"does not contain {show_value(expect)}"
            )
    return pid


def read_pidfile(pidfile: str | os.PathLike[str]) -> int:
    """The pid written in ``pidfile`` (first token)."""
    try:
        text = Path(pidfile).read_text().strip()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError) as exc:
        raise ActivityFailed(f"cannot read a pid from {pidfile}: {exc}") from exc


def resolve_pid(
    pid: int | None,
    pidfile: str | None,
    expect: str | None = None,
    configuration: Mapping[str, Any] | None = None,
) -> int:
    """The checked pid named by ``pid`` or ``pidfile`` (exactly one must be given); a
    pidfile must itself pass the path allow-list."""
    if pid is None and not pidfile:
        raise ActivityFailed("name the process: give pid or pidfile")
    if pid is not None and pidfile:
        raise ActivityFailed("give pid or pidfile, not both")
    if pid is not None:
        return check_pid(pid, expect, configuration)
    checked = check_pid_file(str(pidfile), configuration)
    return check_pid(read_pidfile(checked), expect, configuration, pidfile=checked)


def check_pid_file(pidfile: str, configuration: Mapping[str, Any] | None) -> Path:
    """A pidfile vouches for a process only from inside an allowed directory."""
    try:
        return check_path(pidfile, configuration)
    except ActivityFailed as exc:
        raise ActivityFailed(f"pidfile not trusted: {exc}") from exc
