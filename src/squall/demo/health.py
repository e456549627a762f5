"""Health checks of the demo's components, and the bounded wait used by ``up``."""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from squall.demo.config import DemoError, Layout
from squall.demo.procs import is_alive

__all__ = ["PortInUse", "check_health", "generation", "wait_healthy"]


class PortInUse(DemoError):
    """A component could not bind its port."""


def _url(name: str, info: dict[str, Any]) -> str:
    port = info["ports"][name] if "ports" in info else info[f"{name}_port"]
    scheme = "https" if name == "api" else "http"
    return f"{scheme}://127.0.0.1:{port}/health"


def check_health(name: str, info: dict[str, Any], timeout: float = 1.0) -> bool:
    """True if the component answers ``GET /health`` with 200 (the API over verified TLS)."""
    verify: ssl.SSLContext | bool = False
    if name == "api":
        verify = ssl.create_default_context(cafile=str(info["ca_file"]))
    try:
        with httpx.Client(verify=verify, timeout=timeout, trust_env=False) as client:
            return client.get(_url(name, info)).status_code == 200
    except httpx.HTTPError:
        return False


def generation(name: str, info: dict[str, Any], timeout: float = 1.0) -> int:
    """How many reloads the component reports in ``/health`` (-1 if it does not answer).

    The certificate is not verified: an experiment may have swapped in a bad one.
    """
    try:
        with httpx.Client(verify=False, timeout=timeout, trust_env=False) as client:
            return int(client.get(_url(name, info)).json().get("generation", -1))
    except (httpx.HTTPError, ValueError, AttributeError):
        return -1


def wait_healthy(
    name: str, pid: int, config: dict[str, Any], layout: Layout, deadline: float
) -> None:
    """Wait until ``name`` is healthy; raise ``DemoError`` with its log tail if it dies or hangs."""
    while time.monotonic() < deadline:
        if not is_alive(pid):
            tail = _tail(layout, name)
            error = PortInUse if "Address already in use" in tail else DemoError
            raise error(f"demo {name} exited during start-up:\n{tail}")
        if layout.pidfile(name).exists() and check_health(name, config, timeout=0.5):
            return
        time.sleep(0.05)
    raise DemoError(f"demo {name} did not become healthy in time:\n{_tail(layout, name)}")


def _tail(layout: Layout, name: str, lines: int = 15) -> str:
    try:
        text = layout.logfile(name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])
