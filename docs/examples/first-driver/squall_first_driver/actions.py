"""Actions: they inject a fault; each has a rollback that undoes it."""

from __future__ import annotations

import socket
import threading

__all__ = ["close_port", "open_port"]

_OPEN: dict[int, socket.socket] = {}


def open_port(port: int, host: str = "127.0.0.1", seconds: float = 0.0) -> dict[str, object]:
    """Open a TCP listener nobody expects on host:port (closed after ``seconds`` if > 0)."""
    listener = socket.create_server((host, port))
    _OPEN[port] = listener
    if seconds > 0:
        timer = threading.Timer(seconds, close_port, args=(port,))
        timer.daemon = True
        timer.start()
    return {"host": host, "port": listener.getsockname()[1], "seconds": seconds}


def close_port(port: int) -> bool:
    """Rollback of ``open_port``: close the listener (False if it was already closed)."""
    listener = _OPEN.pop(port, None)
    if listener is None:
        return False
    listener.close()
    return True
