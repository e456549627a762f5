"""An answer nested too deep for a list or mapping argument is bad input, not a crash.

Found: ``squall init --answers`` reads a list/mapping argument given as text with YAML
(``"[1, 2]"``); an answer nested 5,000 deep ended in ``squall: internal error:
RecursionError`` (exit 3): the text was parsed by PyYAML's pure-Python loader.

Now it is parsed with the C loader (which refuses a nesting past 1,000 levels), so the
answer is refused as not a list: exit 2, naming the argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DISCOVERY = {
    "activities": [
        {
            "name": "kill",
            "type": "action",
            "mod": "m.actions",
            "arguments": [{"name": "pids", "type": "list"}, {"name": "opts", "type": "mapping"}],
        }
    ]
}


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("pids", {"pids": "[" * 5000 + "]" * 5000}),
        ("opts", {"pids": "[1]", "opts": "{a: " * 3000 + "1" + "}" * 3000}),
    ],
)
def test_a_deep_answer_is_refused_with_exit_2(
    name: str, arguments: dict[str, str], squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "discovery.json").write_text(json.dumps(DISCOVERY))
    answers = {"title": "t", "method": [{"activity": "kill", "arguments": arguments}]}
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    result = squall(
        "init", "--discovery-path", "discovery.json", "--answers", "answers.json",
        "--experiment-path", "out.json",
    )  # fmt: skip
    assert result.code == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert f'argument "{name}"' in result.stderr
    assert not (tmp_path / "out.json").exists()
