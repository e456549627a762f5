"""Names, titles and driver messages are the experiment's text: a terminal and a CI log
show them, never obey them.

An activity named ``a<ESC>]0;...<BEL>\\n::warning::...`` retitled the terminal and put a
line starting with ``::warning::`` in the log (which GitHub Actions reads as a workflow
command: annotations, ``::add-mask::``, ``::stop-commands::``) from the progress line, a
run warning, ``squall lint``, ``runs list`` and ``runs show``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from squall.errors import printable

EVIL_TITLE = "t\x1b[2J\n::error file=x::title"
EVIL_NAME = "a\x1b]0;pwned\x07\n::warning::name\u202e"


def _clean(text: str) -> None:
    for line in text.splitlines():
        assert not line.startswith("::"), line
    for char in ("\x1b", "\x07", "\u202e", "\r"):
        assert char not in text, repr(text)


def test_experiment_text_cannot_command_the_terminal_or_the_ci_log(
    squall: Any, tmp_path: Path
) -> None:
    experiment = {
        "title": EVIL_TITLE,
        "description": "names that try to be commands",
        "method": [
            {
                "type": "action",
                "name": EVIL_NAME,
                # fails, so its name is also in a warning and the reasons
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", "exit 3"]},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    run = squall("run", "e.json")
    assert run.journal is not None
    assert "a\\x1b]0;pwned\\x07\\n::warning::name\\u202e" in run.stderr  # shown, escaped
    lint = squall("lint", "e.json")
    assert "SQ101" in lint.stdout + lint.stderr
    listed = squall("runs", "list")
    shown = squall("runs", "show", run.journal["squall"]["run_id"])
    assert "::error file=x::title" in listed.stdout and "::error" in shown.stdout
    for result in (run, lint, listed, shown):
        _clean(result.stdout + result.stderr)


def test_validation_problems_quote_names_escaped(squall: Any, tmp_path: Path) -> None:
    experiment = {
        "title": "t",
        "description": "problems that quote names",
        "method": [
            {"ref": "x\x1b]0;t\x07\n::error::ref"},
            {
                "type": "action",
                "name": "b\n::error::name",
                "provider": {"type": "process", "path": "true"},
            },
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    for command in ("validate", "run"):
        result = squall(command, "e.json")
        assert result.code == 2 and "unknown activity" in result.stderr, result.stderr
        _clean(result.stdout + result.stderr)


def test_printable_keeps_ordinary_text_and_escapes_the_rest() -> None:
    assert printable("probe 'é' ✓ 42") == "probe 'é' ✓ 42"
    assert printable("x\ny\tz\x00\x9b") == "x\\ny\\tz\\x00\\x9b"
