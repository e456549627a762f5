"""A python activity with a timeout runs in a worker thread that the run keeps for its
next timed calls (a thread started for each cost about 100 µs); the timeout is still
enforced; an overrun call's thread is never given another call; the run's idle workers
end with it."""

from __future__ import annotations

import threading
import time
from typing import Any

from squall import run_experiment
from squall.experiment import parse_experiment


def _timed(name: str, module: str, func: str, **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": module, "func": func, "arguments": arguments}
    return {"type": "probe", "name": name, "timeout": 0.3, "provider": provider}


def test_timed_calls_share_a_worker_and_an_overrun_one_is_left_alone() -> None:
    main = threading.get_native_id()  # a kernel thread id: not reused soon
    method = [
        _timed("a", "threading", "get_native_id"),
        _timed("b", "threading", "get_native_id"),
        _timed("slow", "sqtest", "sleep", seconds=1.0),
        _timed("c", "threading", "get_native_id"),
        _timed("d", "threading", "get_native_id"),
    ]
    journal = run_experiment(parse_experiment({"title": "t", "description": "d", "method": method}))
    a, b, slow, c, d = journal.run
    assert a.output == b.output != main  # one worker thread, not the caller's
    assert slow.status.value == "failed" and "within its timeout of 0.3s" in slow.reason
    assert slow.duration < 1.0  # enforced: not the second the call takes
    assert c.output == d.output and c.output not in (a.output, main)  # a new worker
    deadline = time.monotonic() + 10
    while any(t.name.startswith("squall-activity") for t in threading.enumerate()):
        assert time.monotonic() < deadline, [t.name for t in threading.enumerate()]
        time.sleep(0.02)  # the idle workers end with the run, the overrun one after its call
