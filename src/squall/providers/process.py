"""``process`` provider: run an executable, capture its exit code and output."""

from __future__ import annotations

import os
from collections.abc import Mapping

from squall.errors import ActivityFailed, ActivityTimeout, Problem
from squall.experiment.limits import seconds
from squall.experiment.model import ProcessSpec
from squall.experiment.substitute import substitute
from squall.providers.base import Call
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ProcessProvider"]


class ProcessProvider:
    """Runs processes without a shell (list arguments) or through one (string arguments)."""

    type = "process"

    def __init__(self) -> None:
        self._paths: dict[str, str | None] = {}

    def check(self, spec: ProcessSpec, pointer: str) -> list[Problem]:
        if "$" in spec.path or self._which(spec.path):
            return []
        return [
            Problem(
                f"{pointer}/provider/path",
                f"executable {show_value(spec.path)} not found or not executable",
                "give an absolute path, or a program on PATH: " + os.environ.get("PATH", ""),
            )
        ]

    def run(self, spec: ProcessSpec, call: Call) -> Any:
        path = str(substitute(spec.path, call.variables))
        executable = self._which(path)
        if executable is None:
            raise ActivityFailed(f"executable {show_value(path)} not found or not executable")
        import subprocess  # imported on first use: a run without processes never needs it

        from squall.providers._pipes import Cancelled

        timeout = _timeout(substitute(spec.timeout, call.variables), call.timeout)
        arguments = substitute(spec.arguments, call.variables)
        shell = isinstance(arguments, str)
        argv: Any = f"{executable} {arguments}" if shell else [executable, *_argv(arguments)]
        try:
            completed = _run(argv, shell, timeout, call.cancel)
        except subprocess.TimeoutExpired:
            raise ActivityTimeout(
                f"process {show_value(path)} took longer than {timeout:g}s and was killed"
            ) from None
        except Cancelled as exc:
            raise ActivityFailed(
                f"process {show_value(path)} was cancelled and killed (pid {exc})"
            ) from None
        except OSError as exc:
            raise ActivityFailed(f"cannot run {show_value(path)}: {exc}") from exc
        if completed.returncode != 0 and not call.in_hypothesis:
            call.warnings.append(
                f"process {show_value(path)} exited with code {completed.returncode}"
            )
        return {
            "status": completed.returncode,
            "stdout": _decode(completed.stdout),
            "stderr": _decode(completed.stderr),
        }

    def _which(self, path: str) -> str | None:
        if path not in self._paths:
            self._paths[path] = which(os.path.expanduser(path))
        return self._paths[path]


def which(name: str) -> str | None:
    """``shutil.which(name)`` (POSIX): ``name`` itself when it has a directory part, else
    the first executable ``name`` on ``PATH``; a directory is never the answer.

    Written here because ``import shutil`` also imports bz2, lzma, zlib and fnmatch (about
    7 M instructions, 5 % of a short run's); tests/engine/test_process_which.py compares
    the answers with shutil's."""
    if os.path.dirname(name):
        return name if _executable(name) else None
    search = os.environ.get("PATH")
    if search is None:
        try:
            search = os.confstr("CS_PATH")
        except (AttributeError, ValueError):
            search = os.defpath
    if not search:
        return None
    seen: set[str] = set()
    for directory in search.split(os.pathsep):
        if directory not in seen:
            seen.add(directory)
            candidate = os.path.join(directory, name)
            if _executable(candidate):
                return candidate
    return None


def _executable(path: str) -> bool:
    return os.path.exists(path) and os.access(path, os.F_OK | os.X_OK) and not os.path.isdir(path)


def _run(argv: Any, shell: bool, timeout: float | None, cancel: Any) -> Any:
    """``subprocess.run`` in a session of its own that dies with squall (see
    ``children``); its whole process group is killed on a timeout or when ``cancel`` is set.

    Raises:
        Cancelled: ``cancel`` was set (the group was killed).
        subprocess.TimeoutExpired: it overran ``timeout`` (the group was killed).
        OSError: it cannot be started.
    """
    import subprocess

    from squall.providers._pipes import Pipes, collect
    from squall.providers.children import forget, spawn

    started: list[subprocess.Popen[bytes]] = []
    pipes = Pipes()
    try:
        try:
            process = spawn(
                argv,
                shell=shell,
                started=started.append,
                stdout=pipes.writers[0],
                stderr=pipes.writers[1],
            )
        finally:
            pipes.started()
        stdout, stderr = collect(process, pipes, argv, timeout, cancel)
    except BaseException:  # a signal (KeyboardInterrupt, Interrupted) too: not left behind
        pipes.close()
        for child in started:
            _end(child)
        raise
    finally:
        pipes.close()
        for child in started:
            forget(child.pid)
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def _end(process: Any) -> None:
    """Kill the group of a process still running (a reaped pid may belong to another
    process already) and reap it."""
    from squall.providers.children import kill_group

    if process.returncode is None:
        kill_group(process)
    process.wait()


def _timeout(provider_timeout: Any, activity_timeout: float | None) -> float | None:
    values = [seconds(t) for t in (provider_timeout, activity_timeout) if t is not None]
    return min(values) if values else None


def _argv(arguments: Any) -> list[str]:
    if arguments is None:
        return []
    if isinstance(arguments, Mapping):  # deprecated by the reference: key, value pairs
        flat: list[Any] = []
        for key, value in arguments.items():
            flat += [key, value]
        arguments = flat
    return [str(a) for a in arguments if a is not None and a != ""]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
