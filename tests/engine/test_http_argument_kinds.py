"""An http activity whose ``arguments`` cannot be sent the way its method sends them says
what it got in JSON's words and what to give (was ``cannot send list arguments as query
parameters``: a Python class name)."""

from __future__ import annotations

from typing import Any

import pytest

from squall import run_experiment
from squall.experiment import parse_experiment


@pytest.mark.parametrize(
    ("method", "arguments", "said"),
    [
        ("GET", [1, 2], 'cannot send a list as query parameters (give "arguments" an object'),
        ("GET", 42, "cannot send a number as query parameters"),
        ("POST", [1, 2], 'cannot send a list as a form (give "arguments" an object or a text)'),
    ],
)
def test_arguments_of_the_wrong_kind_are_named_in_words(
    method: str, arguments: Any, said: str
) -> None:
    provider: dict[str, Any] = {
        "type": "http",
        "url": "http://127.0.0.1:9/never-sent",  # refused before anything is sent
        "method": method,
        "arguments": arguments,
    }
    if method == "POST":
        provider["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    action = {"type": "action", "name": "send", "provider": provider}
    journal = run_experiment(
        parse_experiment({"title": "t", "description": "d", "method": [action]})
    )
    (entry,) = journal.run
    assert entry is not None and entry.status.value == "failed"
    assert said in entry.reason, entry.reason
    assert "list arguments" not in entry.reason and "int arguments" not in entry.reason
