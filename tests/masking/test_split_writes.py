"""A secret written to the console in pieces is masked all the same.

Found: the CLI's streams masked each ``write`` alone, so a driver that wrote a secret in
more than one call (character by character, or relaying a child's output in 1024-character
reads with the secret across two reads) printed it in clear on stdout and stderr.

So did ``sys.stdout.buffer.write(token)`` and ``print(token, file=sys.__stderr__)``.

Now the streams keep back, until the next write or a flush, the end of a line that could
begin a secret, and never let out part of a secret; a short secret printed alone
(``print(token)``: two writes) is still masked, and a partial line appears on flush.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
LONG = "CNRYsplit-7f3a9c"
SHORT = "Q7x"


def _action(name: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "secrets": ["s"],
        "provider": {"type": "python", "module": "splitmod", "func": func, "arguments": arguments},
    }


@pytest.fixture
def result(squall: Any, tmp_path: Path) -> Any:
    experiment = {
        "title": "split writes",
        "description": "secrets printed in pieces",
        "secrets": {"s": {"long": LONG, "short": SHORT}},
        "method": [
            _action("chars", "char_by_char", token="${long}"),
            _action("relay", "relay", token="${long}"),
            _action("short", "short", token="${short}"),
            _action("prompt", "prompt_like"),
            _action("buffer", "through_buffer", token="${long}"),
            _action("original", "to_original_stderr", token="${long}"),
            _action("last", "unterminated"),
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    return squall("run", "e.json", env={"PYTHONPATH": str(HERE)})


def test_a_secret_written_in_pieces_never_reaches_the_console(result: Any) -> None:
    assert result.code == 0, result.stderr
    for stream in (result.stdout, result.stderr):
        assert "CNRY" not in stream and "split-7f3a9c" not in stream
    assert result.stdout.count("***") >= 2 and result.stderr.count("***") >= 1
    assert "x" * 1020 + "***" in result.stdout


def test_a_short_secret_printed_alone_is_still_masked(result: Any) -> None:
    assert SHORT not in result.stdout and "\n***\n" in result.stdout


def test_a_partial_line_appears_on_flush(result: Any) -> None:
    assert "partial line, flushed: " in result.stdout


def test_the_binary_layer_and_the_original_streams_are_masked_too(result: Any) -> None:
    """``sys.stdout.buffer`` and ``sys.__stderr__`` got around the masking."""
    assert "bytes: ***" in result.stdout and "original stderr: ***" in result.stderr


def test_a_last_line_without_newline_is_not_lost(result: Any) -> None:
    assert "the last words, no newline" in result.stdout
