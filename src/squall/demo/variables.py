"""The var file that feeds ``examples/security/`` (and the workshop) from a running demo.

``squall demo vars`` prints it (or writes it, mode 0600, with ``--output``); the main job
(``scripts/main.py``) and the tests use :func:`var_file` too, so there is one recipe.
"""

from __future__ import annotations

import json
import os
import random
import socket
import ssl
import sys
import urllib.request
from pathlib import Path
from typing import Any

from squall.demo.config import DemoError

__all__ = ["free_port", "login", "read_demo", "var_file", "write_var_file"]


def read_demo(state_dir: Path) -> dict[str, Any]:
    """``state_dir/demo.json``; raises DemoError (with what to do) if there is none."""
    path = Path(state_dir) / "demo.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        message = f"no demo in {state_dir} (no demo.json): run `squall demo up` first"
        raise DemoError(message) from None
    except (OSError, ValueError) as exc:
        raise DemoError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or "ports" not in data:
        raise DemoError(f"{path} is not a demo state file")
    return data


def free_port() -> int:
    """A free loopback port *below* the kernel's ephemeral range.

    The port is only reserved by being written into the var file, so it is taken from a
    range the OS never hands out by itself (to client sockets or to servers bound to port
    0, such as other demos): nothing else grabs it between now and the experiment.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = random.sample(range(max(1024, low - 10000), low), 100) if low > 2048 else []
    for port in [*candidates, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = sock.getsockname()[1]
            return chosen
    raise DemoError("no free port on 127.0.0.1")


def login(demo: dict[str, Any]) -> str:
    """Log in as the demo user through the API (TLS checked against the demo CA)."""
    context = ssl.create_default_context(cafile=demo["ca_file"])
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    body = json.dumps({"user": demo["user"], "password": demo["password"]}).encode()
    request = urllib.request.Request(
        demo["api_hostname_url"] + "/login",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    try:
        with opener.open(request, timeout=10) as response:
            token: str = json.load(response)["token"]
    except (OSError, ValueError, KeyError) as exc:
        raise DemoError(f"cannot log in to the demo API at {demo['api_url']}: {exc}") from None
    return token


def var_file(demo: dict[str, Any], python: str | None = None) -> dict[str, Any]:
    """The ``--var-file`` content for the security examples, made from a running demo.

    Configuration: every plain value of demo.json (``api_url``, ``config_file``,
    ``alerts_file``...), ``<component>_port`` and ``<component>_pidfile``, the python that
    runs squall (``python``), a private squall state directory (``squall_state_dir``), the
    demo's state directory as the drivers' allow-list (``squall_allowed_paths``: every
    file the examples change and every pidfile they read is in it) and two free ports
    (``unexpected_port``, ``auth_proxy_port``). Secrets: two tokens from two
    logins: ``demo.valid_token`` stays valid, ``revocable.token`` (also given as
    ``revocable.expired_token``: a credential that must be refused) is the one revoked.
    """
    configuration: dict[str, Any] = {
        k: v for k, v in demo.items() if isinstance(v, str | int | bool)
    }
    for name, port in demo["ports"].items():
        configuration[f"{name}_port"] = port
    for name, pidfile in demo["pidfiles"].items():
        configuration[f"{name}_pidfile"] = pidfile
    configuration["python"] = python or sys.executable
    configuration["squall_state_dir"] = str(Path(demo["state_dir"]) / "injections")
    configuration["squall_allowed_paths"] = [str(demo["state_dir"])]
    configuration["unexpected_port"] = free_port()
    configuration["auth_proxy_port"] = free_port()
    revocable = login(demo)
    return {
        "configuration": configuration,
        "secrets": {
            "demo": {"valid_token": login(demo)},
            "revocable": {"token": revocable, "expired_token": revocable},
        },
    }


def write_var_file(demo: dict[str, Any], path: Path) -> Path:
    """Write :func:`var_file` to ``path``, readable by its owner only (it holds tokens)."""
    text = json.dumps(var_file(demo), indent=2) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT
    return path
