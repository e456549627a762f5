"""Start the prices service and the shop as real processes on 127.0.0.1 (free ports),
for the tests and for ``run_api.py``; yields the experiment's configuration."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def running_shop(state_dir: Path, cache: bool = True) -> Iterator[dict[str, Any]]:
    """The shop and its prices service; the prices pidfile is written in ``state_dir``,
    the directory the experiment may act in (``squall_allowed_paths``)."""
    prices_port, shop_port = free_port(), free_port()
    env = {**os.environ, "SHOP_CACHE": "on" if cache else "off"}
    start = [sys.executable, "-m"]
    prices = subprocess.Popen([*start, "shop.prices", str(prices_port)], cwd=HERE, env=env)
    shop = subprocess.Popen(
        [*start, "shop.app", str(shop_port), f"http://127.0.0.1:{prices_port}/"],
        cwd=HERE,
        env=env,
    )
    try:
        shop_url = f"http://127.0.0.1:{shop_port}"
        wait_until_up(f"http://127.0.0.1:{prices_port}/")
        wait_until_up(f"{shop_url}/health")
        pidfile = state_dir / "prices.pid"
        pidfile.write_text(f"{prices.pid}\n", encoding="utf-8")
        yield {
            "shop_url": shop_url,
            "prices_pidfile": str(pidfile),
            "squall_allowed_paths": str(state_dir),
        }
    finally:
        for process in (shop, prices):
            process.kill()
            process.wait()
