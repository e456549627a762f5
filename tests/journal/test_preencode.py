"""The start event put together from the activities' JSON is the text the encoder writes
for the whole event, and each activity's text is the one its entries carry."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from squall.journal.preencode import encode_activities, start_line
from squall.journal.store import dumps_document

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_activity = st.dictionaries(st.sampled_from(["type", "name", "provider", "x"]), _values)
_items = st.lists(_activity | _values, max_size=5)


def _data(experiment: Any) -> dict[str, Any]:
    return {
        "run_id": "abc",
        "squall_version": "1",
        "journal": {"chaoslib-version": "1.0", "experiment": experiment, "start": "t"},
        "dry": None,
        "event": "start",
    }


def _check(experiment: Any) -> None:
    known = encode_activities(experiment) if isinstance(experiment, dict) else {}
    data = _data(experiment)
    line = start_line(data, known)
    assert line == dumps_document(data)
    assert json.loads(line) == json.loads(json.dumps(data))
    for item in _listed(experiment):
        if isinstance(item, dict):
            assert known[id(item)] == dumps_document(item)


def _listed(experiment: Any) -> list[Any]:
    if not isinstance(experiment, dict):
        return []
    hypothesis = experiment.get("steady-state-hypothesis")
    lists = [
        experiment.get("method"),
        experiment.get("rollbacks"),
        hypothesis.get("probes") if isinstance(hypothesis, dict) else None,
    ]
    return [i for items in lists if isinstance(items, list) for i in items if isinstance(i, dict)]


@settings(max_examples=60, deadline=None)
@given(
    method=_items,
    rollbacks=_items | _values,
    probes=_items | _values,
    other=st.dictionaries(st.text(), _values, max_size=3),
)
def test_the_start_line_is_the_encoders_text(
    method: list[Any], rollbacks: Any, probes: Any, other: dict[str, Any]
) -> None:
    experiment = {
        **other,
        "title": "t",
        "steady-state-hypothesis": {"title": "h", "probes": probes},
        "method": method,
        "rollbacks": rollbacks,
    }
    _check(experiment)


def test_odd_experiments_are_encoded_whole() -> None:
    activity = {"type": "probe", "name": 'é "q" \u2028', "provider": {"type": "python"}}
    for experiment in (
        {},
        {"method": []},
        {1: "int key", "method": [activity]},  # a YAML document's key
        {"method": [activity, "text", [activity]], "rollbacks": None},
        {"steady-state-hypothesis": {2: "x", "probes": [activity]}, "method": [activity]},
        {"steady-state-hypothesis": "text", "method": ({"a": 1},)},
    ):
        _check(experiment)
    assert start_line(_data("x"), {}) == dumps_document(_data("x"))


def test_a_shared_activity_is_encoded_once() -> None:
    activity = {"type": "action", "name": "a", "provider": {"type": "python"}}
    known = encode_activities({"method": [activity], "rollbacks": [activity]})
    assert known == {id(activity): dumps_document(activity)}
