"""Host actions on processes: kill or pause a named process, then resume or restart it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import (
    process_cmdline,
    process_start,
    process_state,
    read_pidfile,
    resolve_pid,
)
from squall.drivers._state import StateStore, nothing_to_restore
from squall.drivers.host._daemon import gone, spawn_command

__all__ = ["kill_or_pause_process", "resume_or_restart_process"]

KIND = "host.kill_or_pause_process"
_SIGNALS = {"SIGSTOP": signal.SIGSTOP, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}


def _target(pid: int | None, pidfile: str | None) -> str:
    if pidfile:
        return str(Path(pidfile).expanduser().resolve())
    return f"pid:{pid}"


def _argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="surrogateescape") for part in raw.split(b"\0") if part]


def _wait(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _stopped(pid: int) -> bool:
    return process_state(pid) in ("T", "t")


def kill_or_pause_process(
    pid: int | None = None,
    pidfile: str | None = None,
    signal_name: str = "SIGSTOP",
    *,
    process_name: str | None = None,
    restart_command: list[str] | None = None,
    restart_cwd: str | None = None,
    wait_seconds: float = 5.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Stop (SIGSTOP), terminate (SIGTERM) or kill (SIGKILL) a process the caller names.

    Only a process squall may signal: one squall started (a descendant of squall), one a
    pidfile inside an allowed directory names (the demo's pidfiles), or one whose pid is
    listed in ``squall_allowed_pids`` / ``SQUALL_ALLOWED_PIDS``; any other pid is refused.

    Args:
        pid: the process id; give this or ``pidfile``.
        pidfile: a file holding the pid, inside an allowed directory; a process that
            started after the pidfile was written (a recycled pid) is refused.
        signal_name: ``SIGSTOP`` (pause, the default), ``SIGTERM`` or ``SIGKILL``.
        process_name: a substring the process's command line must contain (guards against
            a recycled pid); strongly advised.
        restart_command: the command line the rollback runs to restart a killed process;
            default: the process's own command line, read from ``/proc`` now.
        restart_cwd: the working directory for the restart (default: the process's own).
        wait_seconds: how long to wait for the process to be stopped or gone.

    Returns:
        ``pid``, ``signal``, ``state`` (``stopped`` or ``gone``), ``run_id``, ``state_key``.

    Raises ``ActivityFailed`` for a refused or missing pid, or when the process is not
    stopped/gone after ``wait_seconds`` (e.g. it ignores SIGTERM).
    """
    name = signal_name.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    if name not in _SIGNALS:
        raise ActivityFailed(
            f"signal_name must be one of {show_value(sorted(_SIGNALS))}, "
            f"got {show_value(signal_name)}"
        )
    target_pid = resolve_pid(pid, pidfile, process_name, configuration)
    try:
        cwd = os.readlink(f"/proc/{target_pid}/cwd")
    except OSError:
        cwd = None
    store = StateStore.for_configuration(configuration)
    record = store.create(
        KIND,
        _target(pid, pidfile),
        {
            "pid": target_pid,
            "start_ticks": process_start(target_pid),
            "pidfile": pidfile,
            "process_name": process_name,
            "signal": name,
            "cmdline": _argv(target_pid),
            "restart_command": restart_command,
            "restart_cwd": restart_cwd or cwd,
        },
        rollback={
            "function": f"{__name__}.resume_or_restart_process",
            "arguments": {"pid": pid, "pidfile": pidfile},
        },
        configuration=configuration,
    )
    try:
        os.kill(target_pid, _SIGNALS[name])
    except OSError as exc:
        store.remove(record)
        raise ActivityFailed(f"cannot send {name} to pid {target_pid}: {exc}") from exc
    if name == "SIGSTOP":
        ok, state = _wait(lambda: _stopped(target_pid), wait_seconds), "stopped"
    else:
        ok, state = _wait(lambda: gone(target_pid), wait_seconds), "gone"
    if not ok:
        store.remove(record)
        raise ActivityFailed(
            f"pid {target_pid} is not {state} {wait_seconds}s after {name} "
            f"(state {show_value(process_state(target_pid))}); the fault was not injected"
        )
    return {
        "pid": target_pid,
        "signal": name,
        "state": state,
        "run_id": record.run_id,
        "state_key": record.key,
    }


def resume_or_restart_process(
    pid: int | None = None,
    pidfile: str | None = None,
    wait_seconds: float = 5.0,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``kill_or_pause_process``: SIGCONT a paused process, restart a killed one.

    Args:
        pid: the same ``pid`` given to the action (or ``pidfile``).
        pidfile: the same ``pidfile`` given to the action.
        wait_seconds: how long to wait for the process to run again.

    Returns:
        ``restored``, ``action`` (``resumed``, ``restarted``, ``already running``),
        ``pid`` (the running process), ``run_id``, ``state_key``; a no-op (``restored``
        false) when nothing was recorded.
    """
    store = StateStore.for_configuration(configuration)
    target = _target(pid, pidfile)
    record = store.load(KIND, target)
    if record is None:
        return nothing_to_restore(KIND, target, store)
    data = record.data
    old_pid = int(data["pid"])
    expect = data.get("process_name") or None
    result = {"restored": True, "run_id": record.run_id, "state_key": record.key}
    # the same process: same command line and, when recorded, the same start time (a pid
    # recycled since the injection is never sent SIGCONT)
    started = data.get("start_ticks")
    alive = (
        not gone(old_pid)
        and _argv(old_pid) == list(data.get("cmdline") or [])
        and (started is None or process_start(old_pid) == started)
    )
    if data["signal"] == "SIGSTOP" and alive:
        os.kill(old_pid, signal.SIGCONT)
        if not _wait(lambda: not _stopped(old_pid), wait_seconds):
            raise ActivityFailed(f"pid {old_pid} is still stopped after SIGCONT")
        store.remove(record)
        return {**result, "action": "resumed", "pid": old_pid}
    # killed (or the paused process died meanwhile): restart unless something already did
    if data.get("pidfile"):
        try:
            current = read_pidfile(data["pidfile"])
        except ActivityFailed:
            current = None
        if current and current != old_pid and not gone(current):
            cmdline = process_cmdline(current) or ""
            if not expect or expect in cmdline:
                store.remove(record)
                return {**result, "action": "already running", "pid": current}
    command = data.get("restart_command") or data.get("cmdline")
    if not command:
        raise ActivityFailed(f"no command line recorded to restart pid {old_pid}")
    new_pid = spawn_command(list(command), data.get("restart_cwd"))
    time.sleep(min(0.2, wait_seconds))
    if gone(new_pid):
        raise ActivityFailed(f"restarted {show_value(command)} but it exited at once")
    store.remove(record)
    return {**result, "action": "restarted", "pid": new_pid, "command": command}
