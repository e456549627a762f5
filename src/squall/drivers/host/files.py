"""Host actions on files: break an application's logging, then restore it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import (
    check_path,
    chmod_beneath,
    identity,
    open_beneath,
    process_uid,
    rename_beneath,
)
from squall.drivers._state import StateStore, nothing_to_restore
from squall.drivers.host._edits import Reload, config_path, load_json

__all__ = ["break_logging", "restore_logging"]

KIND = "host.break_logging"
_WRITE_BITS = 0o222


def _log_path(
    log_file: str | None, config_file: str | None, configuration: dict[str, Any] | None
) -> Path:
    if log_file:
        return check_path(log_file, configuration, must_exist=False)
    if not config_file:
        raise ActivityFailed("give log_file, or config_file whose 'log_file' names the log")
    config = config_path(config_file, configuration)
    value = load_json(config).get("log_file")
    if not value:
        raise ActivityFailed(f"{config} has no 'log_file' key")
    return check_path(config.parent / str(value), configuration, must_exist=False)


def break_logging(
    log_file: str | None = None,
    config_file: str | None = None,
    method: str = "read-only",
    *,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Make an application's log unwritable (``read-only``) or move it away (``move``).

    ``read-only`` removes the write bits of the log file itself, never of its directory
    (the directory is not the log's to break; it may be ``/var/tmp`` or a home directory):
    a writer that (re)opens the log for writing fails. A process that already holds the
    file open keeps writing, so name the target (``pid``/``pidfile``) to have it sent
    SIGHUP, on which a reloadable target reopens its log. A writer that rotates its log
    (rename, then create a new file) is not stopped by a read-only file: use ``move`` to
    test that. The log must exist; root ignores file modes, so the action refuses a named
    target that runs as root (use ``move``).

    ``move`` renames the log to ``<log>.squall-moved-<run id>``: whoever reads the log at
    its usual place (a shipper, a detector) sees it vanish.

    The log must be inside an allowed directory (the demo's state directory, or one
    listed in ``squall_allowed_paths``), not a hard link, and not reached through a
    symbolic link that leaves those directories.

    Args:
        log_file: the log file; or give ``config_file``.
        config_file: a reloadable target's JSON config whose ``log_file`` key names the log
            (relative paths are relative to the config file).
        method: ``read-only`` (default) or ``move``.
        pid: the writer's pid (or a list of pids), sent SIGHUP after the change (optional).
        pidfile: a file holding the writer's pid (or a list of such files) (optional).
        process_name: a substring the writer's command line must contain.

    Returns:
        ``log_file``, ``method``, ``moved_to`` (for ``move``), ``modes`` (old mode of the
        log, for ``read-only``), ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    if method not in ("read-only", "move"):
        raise ActivityFailed(f"method must be 'read-only' or 'move', got {show_value(method)}")
    log = _log_path(log_file, config_file, configuration)
    if not log.is_file():
        raise ActivityFailed(f"{log} does not exist or is not a file: nothing to break")
    reload = Reload(pid, pidfile, process_name, configuration)
    writers = reload.check()
    store = StateStore.for_configuration(configuration)
    data: dict[str, Any] = {"log_file": str(log), "method": method, "reload": reload.to_json()}
    result: dict[str, Any] = {"log_file": str(log), "method": method}
    rollback = _rollback(log_file, config_file)
    if method == "read-only":
        root = [pid for pid in writers if process_uid(pid) == 0]
        if root:
            raise ActivityFailed(
                f"pid {root[0]} runs as root, which ignores file modes: read-only logging "
                "would not be injected; use method='move'"
            )
        with open_beneath(log, configuration) as fd:
            info = os.fstat(fd)
        mode = info.st_mode & 0o7777
        if mode & _WRITE_BITS == 0:
            raise ActivityFailed(f"{log} is already read-only: nothing to inject")
        data.update(modes={str(log): mode}, identity=identity(info))
        record = store.create(KIND, str(log), data, rollback=rollback, configuration=configuration)
        try:
            chmod_beneath(log, mode & ~_WRITE_BITS, configuration, expect=identity(info))
        except (OSError, ActivityFailed) as exc:
            store.remove(record)
            raise ActivityFailed(f"cannot make {log} read-only: {exc}") from exc
        result["modes"] = {str(log): oct(mode)}
    else:
        record = store.create(KIND, str(log), data, rollback=rollback, configuration=configuration)
        moved = log.with_name(f"{log.name}.squall-moved-{record.run_id}")
        record.data["moved_to"] = str(moved)
        store.update(record)
        try:
            rename_beneath(log, moved.name, configuration)
        except (OSError, ActivityFailed) as exc:
            store.remove(record)
            raise ActivityFailed(f"cannot move {log}: {exc}") from exc
        result["moved_to"] = str(moved)
    try:
        result["reloaded_pids"] = reload.send()
    except ActivityFailed:
        restore_logging(log_file, config_file, configuration)
        raise
    return {**result, "run_id": record.run_id, "state_key": record.key}


def _rollback(log_file: str | None, config_file: str | None) -> dict[str, Any]:
    return {
        "function": f"{__name__}.restore_logging",
        "arguments": {"log_file": log_file, "config_file": config_file},
    }


def restore_logging(
    log_file: str | None = None,
    config_file: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``break_logging``: restore the modes, or move the log back.

    If the application created a new log while the old one was moved away, its lines are
    appended to the moved log before it is put back, so no line is lost.

    Args:
        log_file: the same ``log_file`` given to the action (or ``config_file``).
        config_file: the same ``config_file`` given to the action.

    Returns:
        ``restored``, ``log_file``, ``method``, ``reloaded_pids``, ``run_id``, ``state_key``;
        a no-op (``restored`` false) when nothing was recorded.
    """
    log = _log_path(log_file, config_file, configuration)
    store = StateStore.for_configuration(configuration)
    record = store.load(KIND, str(log))
    if record is None:
        return nothing_to_restore(KIND, str(log), store)
    data = record.data
    notes: list[str] = []
    if data["method"] == "read-only":
        notes += _restore_modes(data, configuration)
    else:
        notes += _move_back(log, Path(data["moved_to"]), configuration)
    pids, signalled = Reload.from_json(data.get("reload"), configuration).send_if_running()
    store.remove(record)
    return {
        "restored": True,
        "log_file": str(log),
        "method": data["method"],
        "reloaded_pids": pids,
        "reload": signalled,
        "notes": notes,
        "run_id": record.run_id,
        "state_key": record.key,
    }


def _restore_modes(data: dict[str, Any], configuration: dict[str, Any] | None) -> list[str]:
    """Put the recorded mode back on the log itself, only if it is still the same file.

    Records written by older squall versions may also name the log's directory: its
    mode is put back the same way, through the allow-list.
    """
    notes: list[str] = []
    expect = data.get("identity")
    for path, mode in data["modes"].items():
        if not os.path.lexists(path):
            notes.append(f"{path} is gone")
            continue
        same = expect if path == data["log_file"] else None
        try:
            chmod_beneath(path, int(mode), configuration, expect=same)
        except ActivityFailed as exc:
            notes.append(f"{path} left as it is: {exc}")
    return notes


def _move_back(log: Path, moved: Path, configuration: dict[str, Any] | None) -> list[str]:
    """Move the log back; lines written meanwhile to a new log are appended first."""
    if not moved.exists():
        return [f"{moved} is gone; nothing to move back"]
    notes: list[str] = []
    if log.exists():
        with (
            open_beneath(log, configuration, os.O_RDONLY) as fd,
            os.fdopen(fd, "rb", closefd=False) as new,
        ):
            appended = new.read()
        with (
            open_beneath(moved, configuration, os.O_WRONLY | os.O_APPEND) as fd,
            os.fdopen(fd, "ab", closefd=False) as out,
        ):
            out.write(appended)
        notes.append(f"appended the {len(appended)} bytes written meanwhile")
    rename_beneath(moved, log.name, configuration, replace=True)
    return notes
