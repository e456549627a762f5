"""Marker files for the Temporal engine's adversarial tests: shell activities append a
line (their worker's pid, ``$PPID``) to a file when they start and when they finish, so
a test waits for the moment it wants (never a guessed sleep) and counts every play."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

__all__ = ["held", "lines", "marked", "queue_name", "shell", "wait_for_lines", "write_experiment"]


def shell(name: str, script: str, kind: str = "action", **extra: Any) -> dict[str, Any]:
    """A ``process`` activity running ``sh -c script`` (``$PPID`` is its worker's pid)."""
    return {
        "type": kind,
        "name": name,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]},
        **extra,
    }


def marked(marks: Path, name: str, seconds: float = 0, kind: str = "action") -> dict[str, Any]:
    """An activity writing its worker's pid to ``marks/name`` when it starts and to
    ``marks/name.done`` when it ends, ``seconds`` later."""
    pause = f"sleep {seconds:g}; " if seconds else ""
    script = f"echo $PPID >> {marks}/{name}; {pause}echo $PPID >> {marks}/{name}.done"
    return shell(name, script, kind)


def held(marks: Path, name: str, kind: str = "action") -> dict[str, Any]:
    """Like :func:`marked`, but it ends only once ``marks/release`` exists (the test
    creates it when what it wanted to do mid-activity is done)."""
    wait = f"while [ ! -e {marks}/release ]; do sleep 0.05; done"
    script = f"echo $PPID >> {marks}/{name}; {wait}; echo $PPID >> {marks}/{name}.done"
    return shell(name, script, kind)


def write_experiment(
    path: Path,
    method: Iterable[dict[str, Any]],
    rollbacks: Iterable[dict[str, Any]] = (),
    **top: Any,
) -> Path:
    """An experiment named after ``path`` (its title is the file's stem)."""
    document = {"title": path.stem, "description": "an adversarial Temporal test", **top}
    document["method"] = list(method)
    document["rollbacks"] = list(rollbacks)
    path.write_text(json.dumps(document))
    return path


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_for_lines(path: Path, count: int = 1, timeout: float = 60) -> list[str]:
    """The lines of ``path`` once it has ``count`` of them."""
    deadline = time.monotonic() + timeout
    while len(lines(path)) < count:
        assert time.monotonic() < deadline, f"{path.name}: fewer than {count} line(s)"
        time.sleep(0.05)
    return lines(path)


def queue_name(request: pytest.FixtureRequest) -> str:
    """A task queue of the test's own (its workers are the only ones there)."""
    name = re.sub(r"\W+", "-", request.node.name)
    # cut to a readable length, but unique: parametrized ids differ only at their end
    # (three seeds of one test shared a queue, and the workers of one ran another's steps)
    return f"t-{name[:40]}-{hashlib.sha1(name.encode()).hexdigest()[:10]}"
