"""The experiment hash is hashed in pieces (a slice of activities at a time) and stays the
same function: SHA-256 of one ``json.dumps`` call's canonical text, the value users' run
histories already hold for their experiments."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squall.experiment import load_source
from squall.journal.history import experiment_hash
from squall.journal.history.record import _SLICE

from sqharness import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


def _reference(raw: Any) -> str:
    """The hash as it has always been defined (the whole canonical text at once)."""
    text = json.dumps(
        raw,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
        check_circular=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _activity(i: int) -> dict[str, Any]:
    return {
        "type": "probe" if i % 2 else "action",
        "name": f"a-{i} é",
        "provider": {
            "type": "python",
            "module": "os.path",
            "func": "exists",
            "arguments": {"path": "/", "n": i / 3},
        },
    }


def test_a_known_experiment_keeps_its_hash() -> None:
    # the value computed by the hash before it was hashed in pieces: more activities
    # than a slice, in the method and in the hypothesis
    document = {
        "version": "1.0.0",
        "title": "pinned",
        "description": "d",
        "tags": ["x"],
        "steady-state-hypothesis": {"title": "h", "probes": [_activity(i) for i in range(40)]},
        "method": [_activity(i) for i in range(70)],
        "rollbacks": [_activity(1)],
        "configuration": {"z": {"b": 1, "a": [None, True]}},
    }
    assert len(document["method"]) > 2 * _SLICE
    expected = "04f0912b44a8c61273d5afbf6a9bc8ef2896664b8b9b0762f8ff7f0fda97622b"
    assert experiment_hash(document) == _reference(document) == expected


def _corpus() -> list[Path]:
    found = sorted((ROOT / "tests" / "conformance" / "experiments").glob("*.json"))
    for where in (EXAMPLES, ROOT / "examples"):
        for pattern in ("*.json", "*.yaml", "*.yml"):
            found += sorted(where.rglob(pattern))
    return found


def test_the_corpus_hashes_as_before() -> None:
    paths = _corpus()
    assert len(paths) > 100
    for path in paths:
        try:
            data = load_source(str(path)).data
        except Exception:  # not an experiment (a var file, a settings file)
            continue
        assert experiment_hash(data) == _reference(data), path


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.dates()  # YAML reads dates: the encoder's ``default=str`` writes them
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)
_activities = st.lists(
    st.dictionaries(st.sampled_from(["type", "name", "provider", "é", "A"]), _values) | _values,
    max_size=3 * _SLICE,
)


@settings(max_examples=80, deadline=None)
@given(
    method=_activities,
    probes=_activities | _values,
    other=st.dictionaries(st.text(), _values, max_size=4),
    hypothesis_keys=st.dictionaries(st.text(), _values, max_size=2),
)
def test_fuzzed_experiments_hash_as_before(
    method: list[Any], probes: Any, other: dict[str, Any], hypothesis_keys: dict[str, Any]
) -> None:
    document = {
        **other,
        "method": method,
        "steady-state-hypothesis": {**hypothesis_keys, "probes": probes},
    }
    assert experiment_hash(document) == _reference(document)


@settings(max_examples=60, deadline=None)
@given(value=_values | st.lists(_values, max_size=2 * _SLICE + 1))
def test_any_value_hashes_as_before(value: Any) -> None:
    assert experiment_hash(value) == _reference(value)


def test_keys_the_encoder_cannot_sort_fail_as_before() -> None:
    # the input limits refuse such keys in a run's document; other callers (a journal's
    # experiment) get the encoder's own error, as before
    for document in ({"method": [{1: "a", "b": 2}]}, {1: "a", "b": 2}):
        with pytest.raises(TypeError):
            _reference(document)
        with pytest.raises(TypeError):
            experiment_hash(document)
    assert experiment_hash({"a": {1: "x"}}) == _reference({"a": {1: "x"}})
