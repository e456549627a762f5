"""Host actions on files: break an application's logging, then restore it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from squall import ActivityFailed
from squall.drivers._safety import check_path, process_uid
from squall.drivers._state import StateStore, nothing_to_restore
from squall.drivers.host._edits import Reload, config_path, load_json

__all__ = ["break_logging", "restore_logging"]

KIND = "host.break_logging"
_WRITE_BITS = 0o222


def _log_path(log_file: str | None, config_file: str | None) -> Path:
    if log_file:
        return check_path(log_file, must_exist=False)
    if not config_file:
        raise ActivityFailed("give log_file, or config_file whose 'log_file' names the log")
    config = config_path(config_file)
    value = load_json(config).get("log_file")
    if not value:
        raise ActivityFailed(f"{config} has no 'log_file' key")
    return check_path(config.parent / str(value), must_exist=False)


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

    ``read-only`` removes the write bits of the log file and of its directory: a writer
    that (re)opens the log, rotates it or creates a new one fails. A process that already
    holds the file open keeps writing, so name the target (``pid``/``pidfile``) to have it
    sent SIGHUP, on which a reloadable target reopens its log. Root ignores file modes, so
    the action refuses a named target that runs as root (use ``move``).

    ``move`` renames the log to ``<log>.squall-moved-<run id>``: whoever reads the log at
    its usual place (a shipper, a detector) sees it vanish.

    Args:
        log_file: the log file; or give ``config_file``.
        config_file: a reloadable target's JSON config whose ``log_file`` key names the log
            (relative paths are relative to the config file).
        method: ``read-only`` (default) or ``move``.
        pid: the writer's pid (or a list of pids), sent SIGHUP after the change (optional).
        pidfile: a file holding the writer's pid (or a list of such files) (optional).
        process_name: a substring the writer's command line must contain.

    Returns:
        ``log_file``, ``method``, ``moved_to`` (for ``move``), ``modes`` (old modes, for
        ``read-only``), ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    if method not in ("read-only", "move"):
        raise ActivityFailed(f"method must be 'read-only' or 'move', got {method!r}")
    log = _log_path(log_file, config_file)
    directory = log.parent
    if not directory.is_dir():
        raise ActivityFailed(f"log directory {directory} does not exist")
    reload = Reload(pid, pidfile, process_name)
    writers = reload.check()
    store = StateStore.for_configuration(configuration)
    data: dict[str, Any] = {"log_file": str(log), "method": method, "reload": reload.to_json()}
    result: dict[str, Any] = {"log_file": str(log), "method": method}
    if method == "read-only":
        root = [pid for pid in writers if process_uid(pid) == 0]
        if root:
            raise ActivityFailed(
                f"pid {root[0]} runs as root, which ignores file modes: read-only logging "
                "would not be injected; use method='move'"
            )
        modes = {str(directory): directory.stat().st_mode & 0o7777}
        if log.exists():
            modes[str(log)] = log.stat().st_mode & 0o7777
        if all(mode & _WRITE_BITS == 0 for mode in modes.values()):
            raise ActivityFailed(f"{log} and its directory are already read-only")
        data["modes"] = modes
        record = store.create(
            KIND,
            str(log),
            data,
            rollback=_rollback(log_file, config_file),
            configuration=configuration,
        )
        try:
            for path, mode in modes.items():
                os.chmod(path, mode & ~_WRITE_BITS)
        except OSError as exc:
            for path, mode in modes.items():
                os.chmod(path, mode)
            store.remove(record)
            raise ActivityFailed(f"cannot make {log} read-only: {exc}") from exc
        result["modes"] = {path: oct(mode) for path, mode in modes.items()}
    else:
        if not log.is_file():
            raise ActivityFailed(f"{log} does not exist: nothing to move")
        record = store.create(
            KIND,
            str(log),
            data,
            rollback=_rollback(log_file, config_file),
            configuration=configuration,
        )
        moved = log.with_name(f"{log.name}.squall-moved-{record.run_id}")
        record.data["moved_to"] = str(moved)
        store.update(record)
        try:
            os.rename(log, moved)
        except OSError as exc:
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
    log = _log_path(log_file, config_file)
    store = StateStore.for_configuration(configuration)
    record = store.load(KIND, str(log))
    if record is None:
        return nothing_to_restore(KIND, str(log), store)
    data = record.data
    notes: list[str] = []
    if data["method"] == "read-only":
        for path, mode in data["modes"].items():
            if os.path.lexists(path):
                os.chmod(path, int(mode))
            else:
                notes.append(f"{path} is gone")
    else:
        moved = Path(data["moved_to"])
        if moved.exists():
            if log.exists():
                with moved.open("ab") as out:
                    out.write(log.read_bytes())
                notes.append(f"appended the {log.stat().st_size} bytes written meanwhile")
            os.replace(moved, log)
        else:
            notes.append(f"{moved} is gone; nothing to move back")
    pids, signalled = Reload.from_json(data.get("reload")).send_if_running()
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
