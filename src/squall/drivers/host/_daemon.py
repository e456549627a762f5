"""Detached helper processes that outlive the action that started them.

A daemon is started as ``python -m <module> --label L --log-file F ...``. The module does
everything that can fail (parse arguments, bind sockets, load certificates) in the first
process, then calls :func:`daemonize`, which forks: the parent prints one JSON line
(``{"pid": ..., ...}``) and exits, the child starts a new session and serves. The action
waits for the first process, so a bind error is an immediate ``ActivityFailed`` with the
daemon's message, and no zombie or ``Popen`` object is left behind.

The label (``squall:<kind>:<name>:<run id>``) is on the daemon's command line: it ties the
process to the experiment in ``ps`` output and lets :func:`terminate` check that a recorded
pid still belongs to the daemon before signalling it.

``python -m squall.drivers.host._daemon -- CMD ...`` runs any command detached the same way
(used to restart a killed process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import process_cmdline, process_state
from squall.drivers._state import Record, StateStore, nothing_to_restore

__all__ = ["daemonize", "gone", "spawn", "spawn_command", "stop", "terminate"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[3])  # the directory holding ``squall``
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if src not in parts:
        env["PYTHONPATH"] = os.pathsep.join([src, *parts])
    return env


def _run_launcher(cmd: list[str], timeout: float, what: str) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ActivityFailed(f"could not start {what}: {exc}") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = err[-1] if err else f"exit code {proc.returncode}"
        raise ActivityFailed(f"could not start {what}: {reason}")
    try:
        info = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise ActivityFailed(f"{what} did not report its pid: {show_value(proc.stdout)}") from exc
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        raise ActivityFailed(f"{what} did not report its pid: {show_value(info)}")
    return info


def spawn(
    kind: str,
    target: str,
    module: str,
    args: list[str],
    *,
    label: str,
    rollback: dict[str, Any],
    configuration: Mapping[str, Any] | None,
    data: dict[str, Any] | None = None,
    prepare: Callable[[Path], list[str]] | None = None,
    startup_timeout: float = 15.0,
) -> tuple[Record, dict[str, Any]]:
    """Record, then start ``python -m module`` as a daemon; return the record and its report.

    ``prepare`` is called with the injection's private artefact directory (removed with
    the record) to write files the daemon needs; it returns extra arguments.
    """
    store = StateStore.for_configuration(configuration)
    record = store.create(
        kind,
        target,
        {"label": label, "pid": None, **(data or {})},
        rollback=rollback,
        configuration=configuration,
    )
    try:
        artefacts = store.artefact_dir(record.key)
        extra = prepare(artefacts) if prepare else []
        log_file = artefacts / "daemon.log"
        cmd = [sys.executable, "-m", module, "--label", label, "--log-file", str(log_file)]
        cmd += [*args, *extra]
        info = _run_launcher(cmd, startup_timeout, f"{kind} {target}")
    except BaseException:
        store.remove(record)
        raise
    record.data.update(pid=info["pid"], report=info)
    store.update(record)
    return record, info


def spawn_command(command: list[str], cwd: str | None, log_file: str | None = None) -> int:
    """Start ``command`` detached (own session, stdin /dev/null); return its pid."""
    cmd = [sys.executable, "-m", "squall.drivers.host._daemon"]
    if cwd:
        cmd += ["--cwd", cwd]
    if log_file:
        cmd += ["--log-file", log_file]
    info = _run_launcher([*cmd, "--", *command], 15.0, f"command {show_value(command)}")
    return int(info["pid"])


def daemonize(info: Mapping[str, Any], log_file: str | None, *, chdir_root: bool = True) -> None:
    """Fork; the parent prints ``info`` + the child's pid as JSON and exits; the child returns.

    The child runs in a new session with stdin on /dev/null, stdout/stderr appended to
    ``log_file`` (or /dev/null) and, unless ``chdir_root`` is false, ``/`` as its working
    directory (so it pins no directory or mount).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child:
        os.write(1, (json.dumps({**info, "pid": child}) + "\n").encode())
        os._exit(0)
    os.setsid()
    if chdir_root:
        os.chdir("/")
    null = os.open(os.devnull, os.O_RDWR)
    out = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log_file else null
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (missing, or a zombie: it is not reaped here, so a
    parent that started it still gets its exit status)."""
    return process_state(pid) in (None, "Z")


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.02)
    return gone(pid)


def terminate(pid: int | None, label: str, timeout: float = 5.0) -> str:
    """Stop the daemon ``pid`` if its command line still carries ``label``; say what happened."""
    if pid is None:
        return "never started"
    if gone(pid):
        return "already exited"
    cmdline = process_cmdline(pid) or ""
    if label not in cmdline:
        return f"pid {pid} now belongs to another process; not touched"
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return "stopped"
        if _wait_gone(pid, timeout):
            return "stopped" if sig == signal.SIGTERM else "killed"
    raise ActivityFailed(f"daemon {label} (pid {pid}) survived SIGKILL")


def stop(kind: str, target: str, configuration: Mapping[str, Any] | None) -> dict[str, Any]:
    """Rollback of ``spawn``: stop the recorded daemon and remove its record."""
    store = StateStore.for_configuration(configuration)
    record = store.load(kind, target)
    if record is None:
        return nothing_to_restore(kind, target, store)
    pid = record.data.get("pid")
    status = terminate(pid, str(record.data.get("label", "")))
    store.remove(record)
    return {
        "restored": True,
        "kind": kind,
        "target": target,
        "run_id": record.run_id,
        "state_key": record.key,
        "pid": pid,
        "status": status,
    }


def _main(argv: list[str]) -> None:
    cwd = log_file = None
    while argv and argv[0] != "--":
        option, value, argv = argv[0], argv[1], argv[2:]
        if option == "--cwd":
            cwd = value
        elif option == "--log-file":
            log_file = value
        else:
            raise SystemExit(f"unknown option {option}")
    command = argv[1:]
    if not command:
        raise SystemExit("usage: python -m squall.drivers.host._daemon [--cwd D] -- CMD ...")
    if cwd:
        os.chdir(cwd)
    daemonize({"command": command}, log_file, chdir_root=False)
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"cannot run {show_value(command)}: {exc}", file=sys.stderr)
        os._exit(127)


if __name__ == "__main__":
    _main(sys.argv[1:])
