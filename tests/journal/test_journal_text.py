"""The final journal's text is joined once from its pieces and written a chunk at a time:
the same bytes as before, for every shape a journal holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from squall.journal.store import _CHUNK, Encoded, format_journal, write_journal_text

# the text format_journal wrote before it joined once (top-level keys one per line, lists
# of entries or mappings one item per line, mappings holding containers as blocks)
BEFORE = (
    '{\n  "chaoslib-version": "1.0",\n  "experiment": {\n    "title": "t",\n    "method": [\n'
    '      {"type": "probe", "name": "p", "known": true}\n    ],\n    "tags": [],\n'
    '    "configuration": {\n      "a": {\n        "b": [1, {"c": 2}]\n      }\n    }\n  },\n'
    '  "run": [\n    {"activity": {"name": "p"}, "status": "succeeded"},\n    {"x": 1}\n  ],\n'
    '  "rollbacks": [],\n  "steady_states": {\n    "before": {\n      "probes": [\n'
    '        {"p": 1}\n      ],\n      "steady_state_met": true\n    },\n    "after": null,\n'
    '    "during": []\n  },\n  "deviated": false,\n  "groups": [\n'
    '    {"name": "g", "runs": [1, 2]}\n  ],\n  "mixed": [1, [2], "x"],\n  "empty": {},\n'
    '  "flat": {"a": 1, "b": "é"}\n}\n'
)


def _document() -> tuple[dict[str, Any], dict[int, str]]:
    method = {"type": "probe", "name": "p"}
    document = {
        "chaoslib-version": "1.0",
        "experiment": {
            "title": "t",
            "method": [method],
            "tags": [],
            "configuration": {"a": {"b": [1, {"c": 2}]}},
        },
        "run": [
            Encoded('{"activity": {"name": "p"}, "status": "succeeded"}'),
            Encoded('{"x": 1}'),
        ],
        "rollbacks": [],
        "steady_states": {
            "before": {"probes": [Encoded('{"p": 1}')], "steady_state_met": True},
            "after": None,
            "during": [],
        },
        "deviated": False,
        "groups": [{"name": "g", "runs": [1, 2]}],
        "mixed": [1, [2], "x"],
        "empty": {},
        "flat": {"a": 1, "b": "é"},
    }
    return document, {id(method): '{"type": "probe", "name": "p", "known": true}'}


def test_every_shape_is_written_as_before() -> None:
    document, known = _document()
    assert format_journal(document, known) == BEFORE
    assert format_journal({}) == "{\n}\n"


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(document=st.dictionaries(st.text(), _values, max_size=5))
def test_any_journal_reads_back_as_its_data(document: dict[str, Any]) -> None:
    text = format_journal(document)
    assert json.loads(text) == document
    assert text.startswith("{\n") and text.endswith("}\n")


def test_a_journal_longer_than_a_chunk_is_written_whole(tmp_path: Path) -> None:
    # several chunks, a character of two UTF-8 bytes across a chunk's end
    text = "a" * (_CHUNK - 1) + "é" + "€" * _CHUNK + "z"
    path = tmp_path / "journal.json"
    assert write_journal_text(text, path) == str(path)
    assert path.read_bytes() == text.encode("utf-8")
    assert not list(tmp_path.glob(".*.tmp"))
    write_journal_text("", path)
    assert path.read_bytes() == b""
