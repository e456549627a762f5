"""A Python activity whose work outlives the command (tests/masking/test_abandoned_output.py).

``slow`` hands its work to a thread pool and waits for it; squall abandons the activity at
its timeout. At exit, Python joins the pool's thread (as it does for every
``concurrent.futures`` pool), which waits for the command to be over (the interpreter is
shutting down: ``threading._SHUTTING_DOWN``, private but the one sure sign), then prints
the secret it was given.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

_POOL = ThreadPoolExecutor(1)


def _late(token: str) -> None:
    while not getattr(threading, "_SHUTTING_DOWN", False):  # until the command has ended
        time.sleep(0.01)
    print("late stdout:", token)
    sys.stderr.write(f"late stderr: {token}\n")
    sys.stdout.write(f"late, no newline: {token}")


def slow(token: str) -> str:
    return _POOL.submit(_late, token).result()
