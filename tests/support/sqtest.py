"""Activities used by the test experiments: a tiny driver with plain functions."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

__all__ = [
    "above",
    "append_line",
    "boom",
    "count_lines",
    "echo",
    "exit_now",
    "fail_times",
    "file_exists",
    "is_positive",
    "log_then_sleep",
    "mark_after",
    "pid_alive",
    "pid_then_sleep",
    "read_config",
    "remove_file",
    "secret_length",
    "sleep",
    "spawn_sleeper",
    "stop_point",
    "touch",
    "whoami",
]


def echo(value: Any = None) -> Any:
    """Return the value unchanged."""
    return value


def exit_now(code: int = 0) -> None:
    """A badly behaved driver function."""
    raise SystemExit(code)


def sleep(seconds: float = 1.0) -> float:
    time.sleep(float(seconds))
    return float(seconds)


def log_then_sleep(path: str, seconds: float = 1.0) -> None:
    """Log ``isolated-started``, sleep, then log ``isolated-late`` (an orphan's work)."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("isolated-started\n")
    time.sleep(float(seconds))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("isolated-late\n")


def mark_after(path: str, name: str, seconds: float = 0.0, parent: bool = False) -> None:
    """Sleep, then append ``name <pid> <time>``: the rollback's effect, when it completes
    (``pid``: the squall process that played it; ``parent``: this is its child)."""
    time.sleep(float(seconds))
    pid = os.getppid() if parent else os.getpid()
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{name} {pid} {time.time():.6f}\n")


def boom(message: str = "boom") -> None:
    raise RuntimeError(message)


def touch(path: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).touch()
    return path


def remove_file(path: str) -> bool:
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    return True


def file_exists(path: str) -> bool:
    return os.path.exists(path)


def append_line(path: str, text: str) -> int:
    """Append a line (with a timestamp) and return the number of lines."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{time.monotonic():.6f} {text}\n")
    return count_lines(path)


def count_lines(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


def secret_length(name: str, secrets: dict[str, Any] | None = None) -> int:
    return len(str((secrets or {}).get(name) or ""))


def read_config(key: str, configuration: dict[str, Any] | None = None) -> Any:
    return (configuration or {}).get(key, "absent")


def is_positive(value: Any = None) -> bool:
    """A tolerance probe: receives the probed output as ``value``."""
    return isinstance(value, int | float) and value > 0


def above(value: Any, threshold: float) -> bool:
    """A tolerance probe whose ``value`` has no default: the engine must inject it."""
    return isinstance(value, int | float) and value > threshold


def stop_point(
    points: str,
    name: str,
    stop_at: str = "none",
    effects: str | None = None,
    effect: str | None = None,
) -> str:
    """A named point a test can kill a run at, deterministically.

    Appends ``name#n`` (n: the how-manieth time this point is reached) to ``points``;
    when ``stop_at`` is ``name`` or ``name#n`` it then blocks (the test sees the line
    and kills the process while it is inside this activity). Only after that does it
    append ``effect`` to ``effects``: an activity killed here has had no effect.
    """
    with open(points, "a+", encoding="utf-8") as handle:
        handle.seek(0)
        seen = sum(1 for line in handle if line.split("#")[0] == name)
        label = f"{name}#{seen + 1}"
        handle.write(label + "\n")
    if stop_at in (name, label):
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the test kills us here
            time.sleep(0.05)
        raise RuntimeError(f"{label}: nobody killed this run")
    if effects and effect:
        with open(effects, "a", encoding="utf-8") as handle:
            handle.write(effect + "\n")
    return label


def spawn_sleeper(seconds: float = 60.0) -> dict[str, Any]:
    """Start a real ``sleep`` process in its own session; return its pid and argv."""
    import subprocess

    argv = ["sleep", str(seconds)]
    process = subprocess.Popen(
        argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return {"pid": process.pid, "argv": argv}


def pid_alive(pid: int, wait: float = 5.0) -> bool:
    """Whether a process with this pid exists and is not a zombie (it is given ``wait``
    seconds to end: a signal is delivered asynchronously)."""
    deadline = time.monotonic() + wait
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def sql(path: str, statement: str) -> int:
    """Run one SQL statement on the SQLite file at ``path``; returns the changed rows."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute(statement).rowcount


def pid_then_sleep(path: str, seconds: float = 3600.0) -> None:
    """Write this process's pid (and that of a ``sleep`` it starts) to ``path``, then hang."""
    import subprocess

    child = subprocess.Popen(["sleep", str(seconds)])
    Path(path).write_text(f"{os.getpid()} {child.pid}\n", encoding="utf-8")
    time.sleep(float(seconds))


def whoami(
    configuration: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None
) -> Any:
    """Where the call ran, and what it was given."""
    return {"pid": os.getpid(), "configuration": configuration, "secrets": secrets}


def fail_times(path: str, times: int) -> int:
    """Raise for the first ``times`` calls (counted in the file ``path``), then succeed."""
    calls = append_line(path, "call")
    if calls <= int(times):
        raise ConnectionError(f"call {calls} failed on purpose")
    return calls
