"""Activities used by the conformance experiments (standard library only).

The same module is imported by the Chaos Toolkit and by squall: it is on PYTHONPATH
for both sides. Files it writes go into the case's working directory ($CONF_WORK).
"""

from __future__ import annotations

import os
import time
from typing import Any

__all__ = [
    "add",
    "boom",
    "config_value",
    "count_calls",
    "echo",
    "fail_if_marked",
    "is_truthy",
    "mark",
    "secret_value",
    "sleep_then",
]


def _work() -> str:
    return os.environ.get("CONF_WORK", ".")


def echo(value: Any = None) -> Any:
    """Return the (substituted) value unchanged."""
    return value


def add(a: int, b: int = 1) -> int:
    """Return a + b."""
    return a + b


def boom(message: str = "boom") -> None:
    """Raise an error."""
    raise RuntimeError(message)


def mark(name: str, value: Any = None) -> Any:
    """Create the marker file ``name`` in the working directory; return value."""
    with open(os.path.join(_work(), name), "a", encoding="utf-8") as handle:
        handle.write("x\n")
    return value if value is not None else name


def count_calls(name: str) -> int:
    """Append to the file ``name`` and return how many times it was called."""
    path = os.path.join(_work(), name)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("x\n")
    with open(path, encoding="utf-8") as handle:
        return len(handle.read().splitlines())


def sleep_then(seconds: float = 0.1, value: Any = None, marker: str = "") -> Any:
    """Optionally create a marker file, sleep, and return value."""
    if marker:
        mark(marker)
    time.sleep(float(seconds))
    return value


def secret_value(name: str, secrets: dict[str, Any] | None = None) -> Any:
    """Return one injected secret (the conformance corpus uses fake secrets only)."""
    return (secrets or {}).get(name)


def config_value(name: str, configuration: dict[str, Any] | None = None) -> Any:
    """Return one configuration value as the engine passes it."""
    return (configuration or {}).get(name)


def fail_if_marked(name: str) -> bool:
    """Return True, or raise when the marker file ``name`` exists."""
    if os.path.exists(os.path.join(_work(), name)):
        raise RuntimeError(f"{name} is marked")
    return True


def is_truthy(value: Any = None) -> bool:
    """A probe tolerance: the probed value is truthy."""
    return bool(value)
