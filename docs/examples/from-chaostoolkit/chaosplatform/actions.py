"""Actions: flip feature flags, load the machine."""

import os
import time

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration

__all__ = ["burn_cpu", "clear_flag", "set_flag"]


def set_flag(name: str, value: str, configuration: Configuration = None) -> str:
    """Set a feature flag (the flags service reads one file per flag)."""
    base = configuration["flags_dir"]
    if os.path.exists(base) and not os.path.isdir(base):
        raise ActivityFailed(f"flags dir {base} is not a directory")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, name), "w") as f:
        f.write(value)
    return f"{name}={value}"


def clear_flag(name: str, configuration: Configuration = None) -> bool:
    """Rollback of set_flag: remove the flag (False if it was not set)."""
    path = os.path.join(configuration["flags_dir"], name)
    if os.path.exists(path):
        os.remove(path)
        return True
    return False


def burn_cpu(duration: float = 1.0) -> int:
    """Keep one CPU busy for `duration` seconds; how many loops it made."""
    end = time.monotonic() + duration
    loops = 0
    while time.monotonic() < end:
        loops += 1
    return loops
