"""``squall init`` reads two files it did not write (a discovery, an answers file): any
content gives exit 2 with what is wrong, never an internal error or unbounded work.

Found: a discovery nested 5000 deep (RecursionError), one whose ``activities`` is a
number or whose top level is a list, and answers of the wrong kinds ended in "internal
error" (exit 3); an answers file was read by plain ``yaml.safe_load`` (no input limits:
an alias bomb expands in memory).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

DISCOVERY = {
    "activities": [
        {"name": "is_up", "type": "probe", "mod": "m.probes", "arguments": []},
        {"name": "kill", "type": "action", "mod": "m.actions", "arguments": [{"name": "pid"}]},
    ]
}
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)

DISCOVERIES = {
    "nested 5000 deep": "[" * 5000 + "]" * 5000,
    "activities a number": json.dumps({"activities": 5}),
    "a list": "[1]",
    "an argument without a name": json.dumps(
        {"activities": [{"name": "x", "type": "probe", "arguments": [5]}]}
    ),
    "not UTF-8": b"\xff\xfe{}",
}
ANSWERS = {
    "an alias bomb": BOMB,
    "an alias cycle": "x: &a [*a]\n",
    "kinds JSON allows": json.dumps({"title": 5, "hypothesis": [1], "method": 7}),
    "method of numbers": json.dumps({"title": "t", "method": [1, 2]}),
    "tags a number": json.dumps({"title": "t", "tags": 5, "method": []}),
}


def _refused(result: Any, tmp_path: Path) -> None:
    assert result.code == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("case", sorted(DISCOVERIES))
def test_a_malformed_discovery_is_bad_input(case: str, squall: Any, tmp_path: Path) -> None:
    content = DISCOVERIES[case]
    path = tmp_path / "discovery.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = squall("init", "--discovery-path", str(path), "--experiment-path", "out.json")
    _refused(result, tmp_path)


@pytest.mark.parametrize("case", sorted(ANSWERS))
def test_malformed_answers_are_bad_input(case: str, squall: Any, tmp_path: Path) -> None:
    (tmp_path / "discovery.json").write_text(json.dumps(DISCOVERY))
    (tmp_path / "answers.yaml").write_text(ANSWERS[case])
    result = squall(
        "init",
        "--discovery-path",
        "discovery.json",
        "--answers",
        "answers.yaml",
        "--experiment-path",
        "out.json",
        timeout=30,
    )
    _refused(result, tmp_path)
