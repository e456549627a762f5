"""Python activities that print a secret in pieces (tests/masking/test_split_writes.py)."""

from __future__ import annotations

import subprocess
import sys


def char_by_char(token: str) -> str:
    for ch in token:
        sys.stdout.write(ch)
    sys.stdout.write("\n")
    for ch in token:
        sys.stderr.write(ch)
        sys.stderr.flush()  # a typewriter: every character flushed
    sys.stderr.write("\n")
    return "ok"


def relay(token: str) -> str:
    """Relay a child's output in 1024-character reads, as a driver relaying `kubectl
    logs` would: the secret straddles two reads."""
    text = "x" * 1020 + token + "\n"
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdout.write(sys.argv[1])", text],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for chunk in iter(lambda: child.stdout.read(1024), ""):  # type: ignore[union-attr]
        sys.stdout.write(chunk)
    child.wait()
    return "ok"


def short(token: str) -> str:
    print(token)  # a short secret printed alone: write(token), then write("\n")
    return "ok"


def prompt_like() -> str:
    sys.stdout.write("partial line, flushed: ")
    sys.stdout.flush()
    return "ok"


def through_buffer(token: str) -> str:
    sys.stdout.buffer.write(b"bytes: " + token.encode() + b"\n")
    sys.stdout.buffer.flush()
    return "ok"


def to_original_stderr(token: str) -> str:
    print("original stderr:", token, file=sys.__stderr__)
    return "ok"


def unterminated() -> str:
    sys.stdout.write("the last words, no newline")  # never flushed by the activity
    return "ok"
