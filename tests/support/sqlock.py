"""A lock shared by every pytest process on this machine (xdist workers included), for the
few tests that must use a fixed port (the write-a-driver tutorial's 47123)."""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Hold the lock ``name`` (a file in the temp directory) for the block."""
    path = Path(tempfile.gettempdir()) / f"squall-test-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
