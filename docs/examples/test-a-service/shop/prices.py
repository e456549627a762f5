"""The dependency: a prices service. ``python -m shop.prices PORT``"""

import sys

from shop.web import JSONHandler, Server


class Prices(JSONHandler):
    def do_GET(self) -> None:
        self.send({"sku": "tea", "price": 4.2})


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Prices).serve_forever()
