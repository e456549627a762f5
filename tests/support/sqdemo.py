"""A real demo for a whole test session, shared by the tests that only read it or that
restore what they change (the workshop's exercises, the docs' console blocks)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from squall.demo import DemoInfo, down, up
from squall.demo.procs import is_alive, terminate

import sqlifeline


def running_demo(*, misconfigured: bool) -> Iterator[DemoInfo]:
    """Up on free ports in a private directory (not pytest's tmp_path, which concurrent
    sessions prune); always down, and no process may be left behind. If the pytest
    process is killed instead, its lifeline ends the demo and removes the directory
    (sqlifeline)."""
    where = Path(tempfile.mkdtemp(prefix="squall-shared-demo-"))
    sqlifeline.remove_at_end(where)
    try:
        info = up(where / "state", misconfigured=misconfigured)
        try:
            yield info
        finally:
            try:
                down(info.state_dir)
            finally:
                left = [pid for pid in info.pids.values() if is_alive(pid)]
                terminate(left)
            assert not left, f"demo processes left behind: {left}"
    finally:
        shutil.rmtree(where, ignore_errors=True)
