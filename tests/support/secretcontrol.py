"""A control that leaks what it is given into the run's stop reason: before the method,
from a thread of its own (as a safeguard does), it asks the run to stop with its
``token`` argument and the secret ``s.from_env`` in the reason. What a sink keeps of
that reason must have the secret masked (tests/temporal/test_history_secrets.py)."""

from __future__ import annotations

import threading
from typing import Any


def before_method_control(run: Any, secrets: Any = None, token: str = "", **kw: Any) -> None:
    secret = ((secrets or {}).get("s") or {}).get("from_env", "")
    thread = threading.Thread(
        target=run.request_stop, args=(f"breach: {token} {secret}", "leaky", "safeguard")
    )
    thread.start()
    thread.join()
