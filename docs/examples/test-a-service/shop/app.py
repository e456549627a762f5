"""Our web service: ``GET /quote`` asks the prices service (0.5 s at most) and, when it
does not answer, serves its last answer marked stale. ``GET /health`` answers at once.
``python -m shop.app PORT PRICES_URL``; ``SHOP_CACHE=off`` turns the fallback off."""

import json
import os
import sys
import urllib.request
from typing import Any

from shop.web import JSONHandler, Server

PRICES_URL = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8081/"
CACHE = os.environ.get("SHOP_CACHE", "on") != "off"
last: dict[str, Any] = {}


class Shop(JSONHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.send({"ok": True})
            return
        try:
            with urllib.request.urlopen(PRICES_URL, timeout=0.5) as response:
                price = json.load(response)
        except OSError:  # refused, or no answer within 0.5 s
            if CACHE and last:
                self.send({**last, "stale": True})
            else:
                self.send({"error": "prices unavailable"}, status=503)
            return
        last.update(price)
        self.send({**price, "stale": False})


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Shop).serve_forever()
