"""A Python activity that prints its secret (tests/masking/test_api_console.py)."""

from __future__ import annotations

import sys


def show(token: str) -> str:
    print("activity printed:", token)
    sys.stderr.write(f"activity wrote: {token}\n")
    return "ok"
