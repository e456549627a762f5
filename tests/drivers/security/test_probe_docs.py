"""The experiment snippets in docs/drivers/security-probes.md are valid and call real probes."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "drivers" / "security-probes.md"
SNIPPETS = re.findall(r"```json\n(.*?)```", PAGE.read_text(), re.DOTALL)


def test_every_probe_has_a_snippet():
    funcs = {json.loads(s)["provider"]["func"] for s in SNIPPETS}
    assert len(funcs) == 14


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: json.loads(s)["name"])
def test_snippet_binds_to_the_probe(snippet):
    activity = json.loads(snippet)
    assert activity["type"] == "probe" and activity["tolerance"]["type"] == "jsonpath"
    provider = activity["provider"]
    func = getattr(importlib.import_module(provider["module"]), provider["func"])
    assert provider["func"] in importlib.import_module(provider["module"]).__all__
    inspect.signature(func).bind(**provider["arguments"])
