"""Validation reports every problem in one pass: those of the format and those that need
the provider registry (unknown provider types, imports, signatures, executables) together,
in the document's order (issue 10, item 13: an unknown provider type used to be reported
only once every other problem was fixed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall import run_experiment
from squall.api import validate_document
from squall.errors import ValidationError
from squall.experiment import parse_text

DOCUMENT = {
    "title": "t",
    "method": [
        {"type": "action", "name": "a", "provider": {"type": "nope"}},
        {"type": "action", "provider": {"type": "nope2"}},
        {"type": "probe", "name": "b", "provider": {"type": "python", "module": "os", "func": "x"}},
        {"ref": "unnamed-but-declared"},
        {"ref": "c"},
    ],
    "rollbacks": [
        {
            "type": "wrong",
            "name": "unnamed-but-declared",
            "provider": {"type": "process", "path": "/no/such/exe"},
        }
    ],
}

EXPECTED = [
    ("", 'an experiment requires "description"'),
    ("/method/0/provider/type", 'unknown provider type "nope"'),
    ("/method/1", 'an activity requires "name"'),
    ("/method/1/provider/type", 'unknown provider type "nope2"'),
    ("/method/2/provider/func", 'function "x" not found in module "os"'),
    ("/method/4/ref", 'reference to unknown activity "c"'),
    ("/rollbacks/0/type", 'unknown activity type "wrong"'),
    ("/rollbacks/0/provider/path", 'executable "/no/such/exe" not found or not executable'),
]


def test_format_and_registry_problems_come_together_in_document_order() -> None:
    text = json.dumps(DOCUMENT, indent=1)
    with pytest.raises(ValidationError) as caught:
        validate_document(parse_text(text, "x.json"))
    found = [(p.pointer, p.message) for p in caught.value.problems]
    assert found == EXPECTED
    lines = [p.line or 0 for p in caught.value.problems]
    assert lines == sorted(lines) and all(lines)


def test_validate_and_run_print_them_all(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(DOCUMENT, indent=1))
    for command in ("validate", "run"):
        result = squall(command, str(path))
        assert result.code == 2, result.stderr
        assert f"{len(EXPECTED)} problems" in result.stderr
        assert all(message in result.stderr for _, message in EXPECTED)
        assert result.journal is None


def test_run_experiment_from_a_path_is_one_pass_too(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(DOCUMENT, indent=1))
    with pytest.raises(ValidationError) as caught:
        run_experiment(path)
    assert len(caught.value.problems) == len(EXPECTED)
